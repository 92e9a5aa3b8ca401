from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feed.errors import InvalidArgument
from feed.ids import MAX_ID
from feed.page_tokens import decode_id_cursor, encode_id_cursor, unwrap_store_token, wrap_store_token


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
