from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feed.errors import InvalidArgument
from feed.ids import MAX_ID
from feed.page_tokens import (
    MAX_SEEN,
    MAX_SHOWN,
    MAX_TOKEN_CHARS,
    SETTLE_IDS,
    NewerCursor,
    decode_home_token,
    decode_id_cursor,
    decode_newer_cursor,
    decode_older_cursor,
    encode_id_cursor,
    encode_newer_cursor,
    shown_after,
    unwrap_store_token,
    wrap_store_token,
)


def _varint(value: int) -> bytes:
    """LEB128, as the tokens carry their numbers."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_id_cursor_round_trips(post_id):
    assert decode_id_cursor(encode_id_cursor(post_id)) == post_id


@given(st.text(max_size=100))
def test_store_token_round_trips(token):
    assert unwrap_store_token(wrap_store_token(token)) == token


def test_empty_tokens_mean_the_first_page():
    assert decode_id_cursor("") is None
    assert unwrap_store_token("") is None
    assert wrap_store_token(None) == ""


def test_one_kind_of_token_is_refused_where_the_other_is_expected():
    with pytest.raises(InvalidArgument):
        decode_id_cursor(wrap_store_token("42"))
    with pytest.raises(InvalidArgument):
        unwrap_store_token(encode_id_cursor(42))


@given(st.text(max_size=40))
def test_arbitrary_text_is_either_a_valid_cursor_or_a_clear_error(token):
    try:
        value = decode_id_cursor(token)
    except InvalidArgument as exc:
        assert "page_token" in str(exc)
    else:
        assert value is None or 0 < value <= MAX_ID


@st.composite
def newer_cursors(draw):
    """Cursors as servers make them: the floor within the settle window, seen ids above it, newest first."""
    cursor = draw(st.integers(min_value=1, max_value=MAX_ID))
    floor = cursor - draw(st.integers(min_value=0, max_value=min(SETTLE_IDS, cursor)))
    seen = (
        draw(st.sets(st.integers(min_value=floor + 1, max_value=cursor), max_size=MAX_SEEN)) if floor < cursor else []
    )
    return NewerCursor(cursor, floor, tuple(sorted(seen, reverse=True)))


@given(newer_cursors())
def test_newer_cursor_round_trips_within_the_token_bound(newer):
    token = encode_newer_cursor(newer)
    assert decode_newer_cursor(token) == newer
    assert decode_home_token(token) == newer
    assert len(token) < MAX_TOKEN_CHARS


@given(newer_cursors(), st.lists(st.integers(min_value=1, max_value=MAX_ID), min_size=1, max_size=3 * MAX_SHOWN))
def test_a_newer_cursor_keeps_the_newest_originals_shown_within_the_token_bound(newer, shown):
    remembering = NewerCursor(newer.cursor, newer.floor, newer.seen, tuple(shown))
    token = encode_newer_cursor(remembering)
    expected = NewerCursor(newer.cursor, newer.floor, newer.seen, tuple(shown[-MAX_SHOWN:]))
    assert decode_newer_cursor(token) == expected
    assert decode_home_token(token) == expected
    assert len(token) < MAX_TOKEN_CHARS


@given(
    newer_cursors(),
    st.lists(st.integers(min_value=1, max_value=MAX_ID), max_size=3 * MAX_SHOWN),
    st.data(),
)
def test_a_newer_cursor_keeps_its_walks_bottom_within_the_token_bound(newer, shown, data):
    bottom = data.draw(st.integers(min_value=1, max_value=newer.cursor))
    walking = NewerCursor(newer.cursor, newer.floor, newer.seen, tuple(shown), bottom)
    token = encode_newer_cursor(walking)
    expected = NewerCursor(newer.cursor, newer.floor, newer.seen, tuple(shown[-MAX_SHOWN:]), bottom)
    assert decode_newer_cursor(token) == expected
    assert decode_home_token(token) == expected
    assert len(token) < MAX_TOKEN_CHARS


def test_the_largest_newer_cursor_fits_the_token_bound():
    cursor = MAX_ID
    seen = tuple(cursor - 1 - i * (SETTLE_IDS // MAX_SEEN) for i in range(MAX_SEEN))
    largest = NewerCursor(cursor, cursor - SETTLE_IDS, seen, (MAX_ID,) * MAX_SHOWN, 1)
    token = encode_newer_cursor(largest)
    assert decode_newer_cursor(token) == largest
    assert len(token) <= MAX_TOKEN_CHARS


@pytest.mark.parametrize(
    "payload",
    [
        (10**18).to_bytes(8, "big") + _varint(10**18) + b"\x00\x05",  # bottom 0
        (10**18).to_bytes(8, "big") + _varint(10**18 + 1) + b"\x00\x05",  # bottom below 0
        (10**18).to_bytes(8, "big") + b"\x05",  # cut short after the bottom
        (10**18).to_bytes(8, "big") + b"\x05\x02\x07",  # originals cut short
    ],
)
def test_forged_newer_cursors_with_a_bottom_are_invalid_arguments(payload):
    token = base64.urlsafe_b64encode(bytes([6]) + payload).decode().rstrip("=")
    with pytest.raises(InvalidArgument):
        decode_home_token(token)


def test_a_newer_cursor_without_originals_shown_is_the_token_servers_made_before():
    token = encode_newer_cursor(NewerCursor(10**18, 10**18 - 5, (10**18 - 1,)))
    assert token == raw_newer((10**18).to_bytes(8, "big") + b"\x05\x01")


@pytest.mark.parametrize(
    "payload",
    [
        (10**18).to_bytes(8, "big") + b"\x00\x05",  # zero originals: a server writes kind 3 then
        (10**18).to_bytes(8, "big") + bytes([MAX_SHOWN + 1]) + b"\x01" * (MAX_SHOWN + 1) + b"\x05",  # too many
        (10**18).to_bytes(8, "big") + b"\x01\x00\x05",  # an original 0
        (10**18).to_bytes(8, "big") + b"\x02\x07",  # cut short
        (10**18).to_bytes(8, "big") + b"\x01\x07",  # no floor after them
    ],
)
def test_forged_newer_cursors_with_originals_are_invalid_arguments(payload):
    token = base64.urlsafe_b64encode(bytes([5]) + payload).decode().rstrip("=")
    with pytest.raises(InvalidArgument):
        decode_home_token(token)


def test_home_tokens_of_both_kinds_are_accepted():
    assert decode_home_token("") is None
    assert decode_home_token(encode_id_cursor(42)) == 42
    with pytest.raises(InvalidArgument):
        decode_home_token(wrap_store_token("42"))
    with pytest.raises(InvalidArgument):
        decode_id_cursor(encode_newer_cursor(NewerCursor(42, 41)))  # a newer cursor where only older pages go


def raw_newer(payload: bytes) -> str:
    return base64.urlsafe_b64encode(bytes([3]) + payload).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        b"",  # no cursor
        (0).to_bytes(8, "big") + b"\x00",  # cursor 0
        (2**63).to_bytes(8, "big") + b"\x00",  # past MAX_ID
        (10**18).to_bytes(8, "big"),  # no floor
        (10**18).to_bytes(8, "big") + b"\x80",  # a varint cut short
        (10**18).to_bytes(8, "big") + b"\xff" * 12,  # a varint past 63 bits
        (10**18).to_bytes(8, "big") + b"\xff\xff\xff\xff\x7f",  # the floor further below than the window
        (10**18).to_bytes(8, "big") + b"\x05\x05",  # a seen id at the floor
        (10**18).to_bytes(8, "big") + b"\x05\x00\x09",  # a seen id below the floor
        (10**18).to_bytes(8, "big") + b"\x40" + b"\x00" * (MAX_SEEN + 1),  # more seen ids than a server keeps
    ],
)
def test_forged_newer_cursors_are_invalid_arguments(payload):
    with pytest.raises(InvalidArgument):
        decode_home_token(raw_newer(payload))


@given(st.binary(max_size=120))
def test_arbitrary_newer_payloads_are_either_valid_cursors_or_clear_errors(payload):
    try:
        newer = decode_home_token(raw_newer(payload))
    except InvalidArgument as exc:
        assert "page_token" in str(exc)
    else:
        assert isinstance(newer, NewerCursor)
        assert 0 <= newer.floor <= newer.cursor - len(newer.seen) and newer.cursor - newer.floor <= SETTLE_IDS
        assert list(newer.seen) == sorted(set(newer.seen), reverse=True) and len(newer.seen) <= MAX_SEEN
        assert all(newer.floor < i <= newer.cursor for i in newer.seen)


@given(
    st.integers(min_value=1, max_value=MAX_ID),
    st.lists(st.integers(min_value=1, max_value=MAX_ID), min_size=1, max_size=3 * MAX_SHOWN),
)
def test_an_older_cursor_keeps_the_newest_originals_shown_within_its_bounds(post_id, shown):
    token = encode_id_cursor(post_id, tuple(shown))
    assert len(token) <= MAX_TOKEN_CHARS
    assert decode_older_cursor(token) == (post_id, tuple(shown[-MAX_SHOWN:]))
    assert decode_home_token(token) == decode_id_cursor(token) == post_id


def test_an_older_cursor_remembering_too_many_or_zero_ids_is_refused():
    payload = (5).to_bytes(8, "big") + bytes([1] * (MAX_SHOWN + 1))  # one-byte varints
    too_many = base64.urlsafe_b64encode(bytes([4]) + payload).decode().rstrip("=")
    zero = base64.urlsafe_b64encode(bytes([4]) + (5).to_bytes(8, "big") + b"\x00").decode().rstrip("=")
    for token in (too_many, zero):
        with pytest.raises(InvalidArgument):
            decode_older_cursor(token)


def test_what_the_next_token_remembers_is_bounded_to_the_newest():
    assert shown_after((1, 2), []) == (1, 2)
    assert shown_after(tuple(range(1, MAX_SHOWN + 1)), [99]) == (*range(2, MAX_SHOWN + 1), 99)
