"""Credentials for the load-test tests: per-user bearer tokens when the stack checks them, else none.

The replayer itself knows nothing of authentication: it asks a metadata provider for each
acting user. These helpers give it one from the stack's keys when the stack has them.
"""

from __future__ import annotations

from feed.loadtest.caller import MetadataProvider, no_metadata
from tests.integration.stack import Client

DEFAULT_VIEWER = 1  # who a request that names no user (GetPost) acts as


def metadata_for(stack) -> MetadataProvider:
    keys = getattr(stack, "keys", None)
    if keys is None:
        return no_metadata
    from feed.client_auth import TokenCache

    tokens = TokenCache(keys)
    return lambda user_id: [("authorization", f"Bearer {tokens.token(user_id or DEFAULT_VIEWER)}")]


def client_for(stack, write_addr: str, read_addr: str) -> Client:
    """A test Client to these addresses, carrying the acting user's token when the stack checks them."""
    keys = getattr(stack, "keys", None)
    return Client(write_addr, read_addr) if keys is None else Client(write_addr, read_addr, keys)
