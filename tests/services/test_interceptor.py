"""The interceptor counts every call by its real status code and gives it a request id.

An in-process gRPC server with a tiny generic service: fast, and it exercises
the same grpc machinery (abort raising, UNKNOWN for escaped exceptions).
"""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest
from prometheus_client import REGISTRY

from feed.telemetry.request_context import current_request_id
from feed.v1 import post_service_pb2
from services.interceptors import ObservabilityInterceptor

SERVICE = "test.v1.Probe"


def _ok(request: bytes, context) -> bytes:
    return (current_request_id() or "").encode()


def _abort(request: bytes, context) -> bytes:
    context.abort(grpc.StatusCode.NOT_FOUND, "nothing here")
    raise AssertionError("abort returns only by raising")


def _crash(request: bytes, context) -> bytes:
    raise RuntimeError("a bug")


def _set_code(request: bytes, context) -> bytes:
    context.set_code(grpc.StatusCode.FAILED_PRECONDITION)
    return b""


def _echo_text(request: post_service_pb2.CreatePostRequest, context) -> bytes:
    return request.text.encode()


@pytest.fixture(scope="module")
def channel():
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in {"Ok": _ok, "Abort": _abort, "Crash": _crash, "SetCode": _set_code}.items()
    }
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=[ObservabilityInterceptor([SERVICE])])
    handlers["Parse"] = grpc.unary_unary_rpc_method_handler(
        _echo_text, request_deserializer=post_service_pb2.CreatePostRequest.FromString
    )
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("test.v1.Other", {"Ok": grpc.unary_unary_rpc_method_handler(_ok)})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield ch
    server.stop(None)


def count(method: str, code: str, service: str = SERVICE) -> float:
    labels = {"service": service, "method": method, "code": code}
    return REGISTRY.get_sample_value("feed_rpc_requests_total", labels) or 0.0


def timed(method: str) -> float:
    labels = {"service": SERVICE, "method": method}
    return REGISTRY.get_sample_value("feed_rpc_duration_seconds_count", labels) or 0.0


def call(channel, method: str, metadata=(), service: str = SERVICE, request: bytes = b""):
    return channel.unary_unary(f"/{service}/{method}").with_call(request, metadata=metadata, timeout=5)


@pytest.mark.parametrize(
    ("method", "code"),
    [("Ok", "OK"), ("Abort", "NOT_FOUND"), ("Crash", "UNKNOWN"), ("SetCode", "FAILED_PRECONDITION")],
)
def test_each_call_is_counted_once_under_the_status_the_client_sees(channel, method, code):
    before, before_timed = count(method, code), timed(method)
    try:
        call(channel, method)
        seen = "OK"
    except grpc.RpcError as err:
        seen = err.code().name
    assert seen == code
    assert count(method, code) == before + 1
    assert timed(method) == before_timed + 1


def test_the_callers_request_id_is_current_in_the_handler_and_echoed_back(channel):
    response, rpc = call(channel, "Ok", metadata=(("x-request-id", "abc-123"),))
    assert response == b"abc-123"
    assert ("x-request-id", "abc-123") in tuple(rpc.trailing_metadata())


def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(channel):
    first, _ = call(channel, "Ok")
    second, _ = call(channel, "Ok", metadata=(("x-request-id", "two words"),))
    assert len(first) == len(second) == 32 and first != second


def test_an_aborted_call_still_returns_its_request_id(channel):
    with pytest.raises(grpc.RpcError) as err:
        call(channel, "Abort", metadata=(("x-request-id", "abort-1"),))
    assert ("x-request-id", "abort-1") in tuple(err.value.trailing_metadata())


def test_services_not_named_are_passed_through_unlabelled(channel):
    response, _ = call(channel, "Ok", service="test.v1.Other")
    assert response == b""  # no request id was set
    assert count("Ok", "OK", service="test.v1.Other") == 0


@pytest.mark.parametrize(
    "raw",
    [b"\x12\x02\xff\xfe", b"\x12\x05ab", b"\x08", b"\xff\xff\xff\xff"],
    ids=["invalid-utf8-string", "truncated-string", "truncated-varint", "not-protobuf"],
)
def test_a_request_that_does_not_parse_is_an_invalid_argument_counted_like_any_call(channel, raw):
    before = count("Parse", "INVALID_ARGUMENT")
    with pytest.raises(grpc.RpcError) as err:
        call(channel, "Parse", request=raw, metadata=(("x-request-id", "bad-bytes-1"),))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "feed.v1.CreatePostRequest" in err.value.details()
    assert ("x-request-id", "bad-bytes-1") in tuple(err.value.trailing_metadata())
    assert count("Parse", "INVALID_ARGUMENT") == before + 1


def test_a_request_that_parses_reaches_the_handler(channel):
    response, _ = call(channel, "Parse", request=post_service_pb2.CreatePostRequest(text="é ok").SerializeToString())
    assert response.decode() == "é ok"
