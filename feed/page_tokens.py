"""Opaque page tokens (Google API style): clients pass them back unchanged.

A token is URL-safe base64 of a version byte and a payload: a post id cursor
for timelines, or a store's own token for graph lists. Anything else is
rejected as INVALID_ARGUMENT rather than guessed at.
"""

from __future__ import annotations

import base64
import binascii

from feed.errors import InvalidArgument
from feed.ids import MAX_ID

_ID_CURSOR = 1
_STORE_TOKEN = 2
MAX_TOKEN_CHARS = 512
_MAX_ID_DIGITS = len(str(MAX_ID))


def encode_id_cursor(post_id: int) -> str:
    return _encode(_ID_CURSOR, post_id.to_bytes(8, "big"))


def decode_id_cursor(token: str) -> int | None:
    """The post id a timeline page token points below; None for an empty token."""
    if not token:
        return None
    payload = _decode(token, _ID_CURSOR)
    value = int.from_bytes(payload, "big") if len(payload) == 8 else 0
    if not 0 < value <= MAX_ID:
        raise InvalidArgument("page_token is not valid")
    return value


def wrap_store_token(token: str | None) -> str:
    return "" if token is None else _encode(_STORE_TOKEN, token.encode())


def unwrap_store_token(token: str) -> str | None:
    if not token:
        return None
    try:
        return _decode(token, _STORE_TOKEN).decode()
    except UnicodeDecodeError:
        raise InvalidArgument("page_token is not valid") from None


def encode_store_id_cursor(last_id: int) -> str:
    """A store's own page token: the last id of the page, in decimal (wrapped by wrap_store_token)."""
    return str(last_id)


def decode_store_id_cursor(token: str | None) -> int:
    """The id a store's page resumes after, -1 for no token.

    Strict, since a client can wrap anything in the opaque envelope: ASCII digits only
    (int() would take signs, spaces, underscores and other scripts' digits) and at most
    MAX_ID, so a forged token is InvalidArgument, never a ValueError or a database's
    OverflowError."""
    if not token:
        return -1
    if len(token) > _MAX_ID_DIGITS or not (token.isascii() and token.isdigit()) or int(token) > MAX_ID:
        raise InvalidArgument("page_token is not valid")
    return int(token)


def _encode(kind: int, payload: bytes) -> str:
    return base64.urlsafe_b64encode(bytes([kind]) + payload).decode().rstrip("=")


def _decode(token: str, kind: int) -> bytes:
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidArgument("page_token is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidArgument("page_token is not valid") from None
    if not raw or raw[0] != kind:
        raise InvalidArgument("page_token is not valid")
    return raw[1:]
