"""Credentials for the load-test tests: per-user bearer tokens when the stack checks them, else none.

The replayer itself knows nothing of authentication: it asks a metadata provider for each
acting user and their organization. These helpers give it one from the stack's keys when
the stack has them.
"""

from __future__ import annotations

from feed.loadtest.caller import MetadataProvider, bearer_tokens, no_metadata
from tests.integration.stack import Client

DEFAULT_VIEWER = 1  # who a request that names no user (GetPost) acts as


def metadata_for(stack) -> MetadataProvider:
    keys = getattr(stack, "keys", None)
    return no_metadata if keys is None else bearer_tokens(keys, DEFAULT_VIEWER)


def client_for(stack, write_addr: str, read_addr: str) -> Client:
    """A test Client to these addresses, carrying the acting user's token when the stack checks them."""
    keys = getattr(stack, "keys", None)
    return Client(write_addr, read_addr) if keys is None else Client(write_addr, read_addr, keys)
