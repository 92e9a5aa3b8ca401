"""Log lines and published records carry the current request id; nothing else leaks into them."""

from __future__ import annotations

import json
import logging

from feed.messaging.publisher import with_request_id
from feed.telemetry.logs import JsonFormatter
from feed.telemetry.request_context import accept_request_id, current_request_id, request_id_scope


def line(msg: str, **extra) -> dict:
    record = logging.makeLogRecord({"msg": msg, "levelname": "INFO", "name": "t", **extra})
    return json.loads(JsonFormatter("test").format(record))


def test_a_line_logged_inside_a_request_carries_its_id():
    assert "request_id" not in line("outside")
    with request_id_scope("req-1"):
        assert line("inside")["request_id"] == "req-1"
        assert line("explicit", request_id="other")["request_id"] == "other"  # extra= wins
    assert current_request_id() is None


def test_records_get_the_request_id_header_unless_the_caller_set_one():
    assert with_request_id(None) == []
    with request_id_scope("req-2"):
        assert with_request_id(None) == [("request-id", b"req-2")]
        assert with_request_id([("request-id", b"mine")]) == [("request-id", b"mine")]
        assert with_request_id([("k", b"v")]) == [("k", b"v"), ("request-id", b"req-2")]


def test_only_short_tokens_of_safe_characters_are_accepted_as_request_ids():
    assert accept_request_id("a-B_1.2:3") == "a-B_1.2:3"
    assert accept_request_id(b"bytes-ok") == "bytes-ok"
    for bad in ("", None, "two words", 'quote"', "x" * 129, "line\nbreak"):
        assert accept_request_id(bad) is None, bad
