"""The request id of the work in hand, carried in a contextvar.

The gRPC edge sets it for each call (the client's `x-request-id`, or a new one),
the publisher copies it into the Kafka record's `request-id` header, and the
worker logs it with the batch that applied the event: one id to grep from a
client's call to the timeline write. A contextvar rather than an argument, so
domain code between the edge and the publisher never has to pass it along.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator

METADATA_KEY = "x-request-id"  # gRPC metadata (lower case, as gRPC requires)
HEADER_KEY = "request-id"  # Kafka record header
MAX_LENGTH = 128
# Ids end up in logs and headers: accept only what cannot forge a log line or smuggle text.
_VALID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("feed_request_id", default=None)


def new_request_id() -> str:
    """A fresh random id (32 hex digits; os.urandom directly: a quarter of uuid4's cost, on every call)."""
    return os.urandom(16).hex()


def accept_request_id(candidate: str | bytes | None) -> str | None:
    """The caller's id if it is a short token of safe characters, else None (generate one)."""
    if isinstance(candidate, bytes):
        candidate = candidate.decode("ascii", errors="replace")
    if candidate and _VALID.fullmatch(candidate):
        return candidate
    return None


def current_request_id() -> str | None:
    """The id of the call or event being handled, if any."""
    return _current.get()


def bind_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Make request_id current until token.var.reset(token): request_id_scope without a generator, for
    the gRPC edge, which runs it around every call."""
    return _current.set(request_id)


@contextlib.contextmanager
def request_id_scope(request_id: str | None) -> Iterator[None]:
    """Make request_id current inside the block and restore the previous one after."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
