"""Every call of our services is a SERVER span continuing the caller's trace, its latency carries the
trace id as an exemplar, and its log lines carry the trace id; with OTEL_* unset, none of it runs."""

from __future__ import annotations

import json
import logging
from concurrent import futures

import grpc
import pytest
from opentelemetry import trace
from prometheus_client import REGISTRY
from prometheus_client.openmetrics.exposition import generate_latest

from feed.redis.calls import round_trip
from feed.telemetry import tracing
from feed.telemetry.logs import JsonFormatter
from feed.telemetry.trace_context import with_trace_context
from feed.v1 import post_pb2
from services.interceptors import ObservabilityInterceptor

SERVICE = "test.v1.TracedProbe"
lines: list[dict] = []


def _create(request: bytes, context) -> post_pb2.Post:
    with round_trip("probe_call"):  # a Redis round trip's hook
        pass
    record = logging.makeLogRecord({"msg": "handled", "levelname": "INFO", "name": "probe"})
    lines.append(json.loads(JsonFormatter("test").format(record)))
    return post_pb2.Post(post_id=2**63 - 5, text="secret words")


def _unavailable(request: bytes, context) -> bytes:
    context.abort(grpc.StatusCode.UNAVAILABLE, "try later")


@pytest.fixture
def call():
    """A generic method of SERVICE on an in-process server built now (tracing on or off as the test set it)."""
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=[ObservabilityInterceptor([SERVICE])])
    handlers = {
        "Create": grpc.unary_unary_rpc_method_handler(_create, response_serializer=post_pb2.Post.SerializeToString),
        "Unavailable": grpc.unary_unary_rpc_method_handler(_unavailable),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    lines.clear()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield lambda method, metadata=(): channel.unary_unary(f"/{SERVICE}/{method}")(b"", metadata=metadata)
    server.stop(None)


def test_a_call_continues_the_callers_trace_and_names_its_post(spans, call):
    with tracing.tracer().start_as_current_span("caller") as caller:
        metadata = tuple((k, v.decode()) for k, v in with_trace_context([]))
    call("Create", metadata)

    (server_span,) = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.SERVER]
    assert server_span.name == f"{SERVICE}/Create"
    assert server_span.context.trace_id == caller.get_span_context().trace_id
    assert server_span.parent.span_id == caller.get_span_context().span_id
    assert server_span.attributes["feed.post_id"] == str(2**63 - 5)
    assert server_span.attributes["rpc.grpc.status_code"] == 0
    assert "secret words" not in json.dumps(dict(server_span.attributes))
    (redis_span,) = [s for s in spans.get_finished_spans() if s.name == "redis probe_call"]
    assert redis_span.parent.span_id == server_span.context.span_id
    trace_id = trace.format_trace_id(server_span.context.trace_id)
    assert lines[-1]["trace_id"] == trace_id and lines[-1]["request_id"]


def test_a_sampled_calls_latency_links_to_its_trace(spans, call):
    call("Create")
    (server_span,) = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.SERVER]
    exposition = generate_latest(REGISTRY).decode()
    trace_id = trace.format_trace_id(server_span.context.trace_id)
    buckets = [line for line in exposition.splitlines() if line.startswith("feed_rpc_duration_seconds_bucket")]
    exemplars = [line for line in buckets if SERVICE in line]
    assert any(f'# {{trace_id="{trace_id}"}}' in line for line in exemplars), exemplars


def test_a_server_error_marks_the_span_failed(spans, call):
    with pytest.raises(grpc.RpcError):
        call("Unavailable")
    (server_span,) = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.SERVER]
    assert server_span.status.status_code is trace.StatusCode.ERROR
    assert server_span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.UNAVAILABLE.value[0]


def test_a_redis_round_trip_outside_any_request_is_not_traced(spans):
    with round_trip("probe_call"):
        pass  # a readiness probe's PING, the relay's idle poll
    assert spans.get_finished_spans() == ()


def test_with_otel_unset_nothing_is_traced_and_nothing_asks_the_sdk(call, monkeypatch):
    assert not tracing.configure("write-service", {})
    # Any hook that tried to trace would ask for the tracer, and fail the call.
    monkeypatch.setattr(tracing, "tracer", lambda: pytest.fail("the untraced path asked for a tracer"))
    assert post_pb2.Post.FromString(call("Create")).post_id == 2**63 - 5
    assert "trace_id" not in lines[-1]
