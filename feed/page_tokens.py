"""Opaque page tokens (Google API style): clients pass them back unchanged.

A token is URL-safe base64 of a version byte and a payload: a post id cursor
for timelines (older pages), a newer-page cursor (a home timeline's
prev_page_token), or a store's own token for graph lists. Anything else is
rejected as INVALID_ARGUMENT rather than guessed at.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses

from feed.errors import InvalidArgument
from feed.ids import MAX_ID, NODE_BITS, SEQUENCE_BITS

_ID_CURSOR = 1
_STORE_TOKEN = 2
_NEWER_CURSOR = 3
_SHOWN_CURSOR = 4  # an older-page cursor with the originals earlier pages showed through reposts
_NEWER_SHOWN = 5  # a newer cursor with the originals the walk showed through reposts (kind 3 without them)
_NEWER_WALK = 6  # a newer cursor with the bottom of its walk (kinds 3 and 5, from before bottoms, have none)
MAX_TOKEN_CHARS = 512
_MAX_ID_DIGITS = len(str(MAX_ID))
# How late (in id time) a post may land in a timeline below ids a newer page already returned and still
# be returned by the next newer page: fan-out across partitions delivers out of order by about this
# much at most. A newer read rescans this much id space below its cursor.
SETTLE_MS = 5_000
SETTLE_IDS = SETTLE_MS << (NODE_BITS + SEQUENCE_BITS)
# Ids of that window a newer cursor remembers as already read, so that the rescan skips them: bounded
# so a token stays under MAX_TOKEN_CHARS (each at most 5 bytes as a varint delta, below SETTLE_IDS).
MAX_SEEN = 32
# Originals a page token (older or newer) remembers as shown through reposts, so the next pages show each
# post once (docs/reposts.md): the newest ones, each at most 9 bytes as a varint. With them and its bottom
# a newer token is at most 1 + 8 + 9 + 1 + 16 * 9 + 5 + 32 * 5 = 328 bytes, 438 characters (under
# MAX_TOKEN_CHARS).
MAX_SHOWN = 16


@dataclasses.dataclass(frozen=True, slots=True)
class NewerCursor:
    """Where a newer page of a home timeline starts: the ids above floor not in seen, oldest first.

    cursor is the newest id read so far (the settle window's top); floor >= cursor - SETTLE_IDS;
    seen holds the ids in (floor, cursor] already read (returned, or hidden for good), newest first;
    shown the originals the walk showed through reposts, the newest last (at most MAX_SHOWN); bottom
    the oldest post the walk showed (its first page's last), 0 when it showed none yet or the token
    predates bottoms: the walk went over every post from bottom up to cursor, so a repost of one of
    them from a source the reader reads is a post it showed already (feed/read/filters.py).
    """

    cursor: int
    floor: int
    seen: tuple[int, ...] = ()
    shown: tuple[int, ...] = ()
    bottom: int = 0


def encode_id_cursor(post_id: int, shown: tuple[int, ...] = ()) -> str:
    """An older-page token: the id to read below, and the newest MAX_SHOWN originals shown through reposts."""
    if not shown:
        return _encode(_ID_CURSOR, post_id.to_bytes(8, "big"))
    out = bytearray(post_id.to_bytes(8, "big"))
    for original in shown[-MAX_SHOWN:]:
        _put_varint(out, original)
    return _encode(_SHOWN_CURSOR, bytes(out))


def decode_id_cursor(token: str) -> int | None:
    """The post id a timeline page token points below; None for an empty token."""
    return decode_older_cursor(token)[0]


def decode_older_cursor(token: str) -> tuple[int | None, tuple[int, ...]]:
    """The id an older-page token points below (None for an empty token) and the originals it remembers."""
    if not token:
        return None, ()
    kind = _kind(token)
    payload = _decode(token, _SHOWN_CURSOR if kind == _SHOWN_CURSOR else _ID_CURSOR)
    value = int.from_bytes(payload[:8], "big") if len(payload) == 8 or kind == _SHOWN_CURSOR else 0
    if not 0 < value <= MAX_ID:
        raise InvalidArgument("page_token is not valid")
    shown, at = [], 8
    while kind == _SHOWN_CURSOR and at < len(payload):
        original, at = _get_varint(payload, at)
        if not 0 < original <= MAX_ID or len(shown) == MAX_SHOWN:
            raise InvalidArgument("page_token is not valid")
        shown.append(original)
    return value, tuple(shown)


def encode_newer_cursor(newer: NewerCursor) -> str:
    """A prev_page_token: the cursor, then varints of the distance down to the floor and between seen ids.
    With a bottom (kind 6), the distance down to it and the count of the originals shown through reposts
    (maybe 0) and their ids come after the cursor; without one, the originals alone when there are any
    (kind 5)."""
    out = bytearray(newer.cursor.to_bytes(8, "big"))
    shown = newer.shown[-MAX_SHOWN:]
    if newer.bottom:
        _put_varint(out, newer.cursor - newer.bottom)
    if shown or newer.bottom:
        _put_varint(out, len(shown))
        for original in shown:
            _put_varint(out, original)
    _put_varint(out, newer.cursor - newer.floor)
    last = newer.cursor
    for i, seen in enumerate(newer.seen):
        _put_varint(out, last - seen - (1 if i else 0))  # after the first, ids strictly decrease
        last = seen
    kind = _NEWER_WALK if newer.bottom else _NEWER_SHOWN if shown else _NEWER_CURSOR
    return _encode(kind, bytes(out))


def decode_newer_cursor(token: str) -> NewerCursor:
    """The newer cursor of a prev_page_token; INVALID_ARGUMENT for anything a server did not make."""
    kind = _kind(token)
    payload = _decode(token, kind if kind in (_NEWER_SHOWN, _NEWER_WALK) else _NEWER_CURSOR)
    cursor = int.from_bytes(payload[:8], "big") if len(payload) >= 8 else 0
    if not 0 < cursor <= MAX_ID:
        raise InvalidArgument("page_token is not valid")
    bottom, at = 0, 8
    if kind == _NEWER_WALK:
        depth, at = _get_varint(payload, at)
        if depth >= cursor:
            raise InvalidArgument("page_token is not valid")
        bottom = cursor - depth
    shown, at = _shown(payload, at, empty=kind == _NEWER_WALK) if kind != _NEWER_CURSOR else ((), at)
    values = []
    while at < len(payload):
        value, at = _get_varint(payload, at)
        values.append(value)
    if not values or values[0] > min(SETTLE_IDS, cursor) or len(values) - 1 > MAX_SEEN:
        raise InvalidArgument("page_token is not valid")
    floor, seen, last = cursor - values[0], [], cursor
    for i, delta in enumerate(values[1:]):
        last -= delta + (1 if i else 0)
        if last <= floor:
            raise InvalidArgument("page_token is not valid")
        seen.append(last)
    return NewerCursor(cursor, floor, tuple(seen), shown, bottom)


def _shown(payload: bytes, at: int, empty: bool = False) -> tuple[tuple[int, ...], int]:
    """A newer token's originals shown through reposts (a count, then the ids) and the offset after them;
    empty: a count of 0 is valid (kind 6 always has one)."""
    count, at = _get_varint(payload, at)
    if not (0 if empty else 1) <= count <= MAX_SHOWN:
        raise InvalidArgument("page_token is not valid")
    shown = []
    for _ in range(count):
        original, at = _get_varint(payload, at)
        if not 0 < original <= MAX_ID:
            raise InvalidArgument("page_token is not valid")
        shown.append(original)
    return tuple(shown), at


def decode_home_token(token: str) -> int | NewerCursor | None:
    """A home timeline's page_token: the id an older page reads below, a newer page's cursor, or None."""
    if token and _kind(token) in (_NEWER_CURSOR, _NEWER_SHOWN, _NEWER_WALK):
        return decode_newer_cursor(token)
    return decode_id_cursor(token)


def shown_after(shown: tuple[int, ...], reposted: list[int]) -> tuple[int, ...]:
    """What the next page token (older or newer) remembers: the originals shown before and on this page
    (in the order shown), the newest MAX_SHOWN."""
    return (shown + tuple(reposted))[-MAX_SHOWN:] if reposted else shown


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
    raw = _raw(token)
    if raw[0] != kind:
        raise InvalidArgument("page_token is not valid")
    return raw[1:]


def _kind(token: str) -> int:
    return _raw(token)[0]


def _raw(token: str) -> bytes:
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidArgument("page_token is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidArgument("page_token is not valid") from None
    if not raw:
        raise InvalidArgument("page_token is not valid")
    return raw


def _put_varint(out: bytearray, value: int) -> None:
    """LEB128: seven bits a byte, low first, the high bit set on every byte but the last."""
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _get_varint(data: bytes, at: int) -> tuple[int, int]:
    """A varint at data[at:] and the offset after it; INVALID_ARGUMENT when cut short or past 63 bits."""
    value = shift = 0
    while at < len(data) and shift < 63:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at
    raise InvalidArgument("page_token is not valid")
