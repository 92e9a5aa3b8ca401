"""A service's retry hint (retry-after-ms in gRPC trailers) as HTTP's Retry-After, in whole seconds."""

from __future__ import annotations

import types

import grpc
from connectrpc.code import Code

from feed.web.upstream import connect_error


def refusal(retry_after_ms: str) -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata(("x-request-id", "r1"), ("retry-after-ms", retry_after_ms))
    return grpc.aio.AioRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.aio.Metadata(), trailing, "slow down")


def context():
    return types.SimpleNamespace(response_headers={}, response_trailers={})


def test_a_hint_becomes_retry_after_rounded_up_in_headers_and_a_streams_trailers():
    ctx = context()
    error = connect_error(refusal("1500"), ctx)
    assert (error.code, error.message) == (Code.RESOURCE_EXHAUSTED, "slow down")
    assert ctx.response_headers == {"retry-after": "2"}
    assert ctx.response_trailers == {"retry-after": "2"}  # a stream's headers went out at open


def test_a_hint_under_a_second_still_says_one_and_a_bad_one_says_nothing():
    ctx = context()
    connect_error(refusal("20"), ctx)
    assert ctx.response_headers == {"retry-after": "1"}  # 0 would invite an immediate retry
    ctx = context()
    connect_error(refusal("soon"), ctx)
    assert ctx.response_headers == {}
