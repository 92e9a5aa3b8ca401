"""The trace context rides the event: outbox entry headers, the publish, the Kafka record, the worker."""

from __future__ import annotations

import collections

from opentelemetry import trace

from feed.events import Envelope, PostCreated
from feed.messaging.publish_spans import PublishSpans
from feed.messaging.publisher import with_request_id
from feed.store.outbox import OutboxEntry
from feed.telemetry import tracing
from feed.telemetry.request_context import request_id_scope
from feed.telemetry.trace_context import context_from, with_trace_context
from workers.spans import batch_span, event_spans

Record = collections.namedtuple("Record", "headers partition offset")


def _ids(span) -> tuple[int, int]:
    context = span.get_span_context()
    return context.trace_id, context.span_id


def _parent_of(headers) -> tuple[int, int]:
    context = trace.get_current_span(context_from(headers)).get_span_context()
    return context.trace_id, context.span_id


def test_without_tracing_records_get_no_trace_context():
    assert not tracing.enabled()
    with request_id_scope("req-1"):
        assert with_request_id(None) == [("request-id", b"req-1")]


def test_an_entry_recorded_inside_a_call_carries_the_calls_trace_context(spans):
    with tracing.tracer().start_as_current_span("call") as call, request_id_scope("req-1"):
        headers = with_request_id(None)
    names = [name for name, _ in headers]
    assert names == ["request-id", "traceparent"]
    assert all(isinstance(value, bytes) for _, value in headers)
    assert _parent_of(headers) == _ids(call)


def test_the_context_is_replaced_not_added_twice(spans):
    with tracing.tracer().start_as_current_span("first"):
        first = with_request_id(None)
    with tracing.tracer().start_as_current_span("second") as second:
        again = with_trace_context(first)
    assert [name for name, _ in again].count("traceparent") == 1
    assert _parent_of(again) == _ids(second)


def test_headers_without_a_context_read_as_no_parent():
    assert not trace.get_current_span(context_from([("request-id", b"x")])).get_span_context().is_valid
    assert not trace.get_current_span(context_from([("traceparent", b"not a traceparent")])).get_span_context().is_valid


def test_each_record_is_published_under_a_child_of_its_write_and_carries_that_span(spans):
    with tracing.tracer().start_as_current_span("CreatePost") as call:
        entry = OutboxEntry(b"k", b"v", 1, tuple(with_request_id([("request-id", b"r")])))
    untraced = OutboxEntry(b"k", b"v", 1, (("request-id", b"s"),))
    publish = PublishSpans([entry, untraced], "feed.events")
    publish.end()

    first, second = [s for s in spans.get_finished_spans() if s.name != "CreatePost"]
    assert first.kind is trace.SpanKind.PRODUCER and first.name == "publish feed.events"
    assert first.parent.span_id == call.get_span_context().span_id
    assert first.context.trace_id == call.get_span_context().trace_id
    assert _parent_of(publish.headers[0]) == (first.context.trace_id, first.context.span_id)
    assert ("request-id", b"r") in publish.headers[0]
    assert second.parent is None  # a record without context: a publish of its own
    assert _parent_of(publish.headers[1]) == (second.context.trace_id, second.context.span_id)


def test_the_worker_links_its_batch_to_every_record_and_applies_each_in_its_writes_trace(spans):
    tracer = tracing.tracer()
    with tracer.start_as_current_span("publish a") as a, tracer.start_as_current_span("publish b") as b:
        pass
    records = [
        Record(with_trace_context([], trace.set_span_in_context(a)), 0, 7),
        Record(with_trace_context([], trace.set_span_in_context(b)), 1, 9),
        Record([], 1, 10),  # published without tracing: linked by nobody, no span of its own
    ]
    envelopes = [Envelope(f"e{i}", 1, PostCreated(post_id=100 + i, author_id=1)) for i in range(3)]
    with batch_span(records, "feed.events") as batch:
        event_spans(list(zip(records, envelopes, strict=True)), 0, batch)

    finished = {s.name: s for s in spans.get_finished_spans() if s.name != "publish a" and s.name != "publish b"}
    batch_span_data = finished["fan-out batch"]
    assert batch_span_data.parent is None
    assert [(link.context.trace_id, link.context.span_id) for link in batch_span_data.links] == [_ids(a), _ids(b)]
    applied = [s for s in spans.get_finished_spans() if s.name == "apply PostCreated"]
    assert [(s.context.trace_id, s.parent.span_id) for s in applied] == [_ids(a), _ids(b)]
    assert [s.attributes["feed.post_id"] for s in applied] == ["100", "101"]
    assert all(s.links[0].context.span_id == batch_span_data.context.span_id for s in applied)


def test_records_of_an_unsampled_trace_pass_through_without_spans(spans):
    unsampled = trace.NonRecordingSpan(trace.SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=trace.TraceFlags(0)))
    headers = with_trace_context([("request-id", b"r")], trace.set_span_in_context(unsampled))
    publish = PublishSpans([OutboxEntry(b"k", b"v", 1, tuple(headers))], "feed.events")
    publish.end()
    assert publish.headers == [headers]  # the write's own (unsampled) context goes on to the worker

    record = Record(headers, 0, 1)
    envelope = Envelope("e", 1, PostCreated(post_id=5, author_id=1))
    with batch_span([record], "feed.events") as batch:
        event_spans([(record, envelope)], 0, batch)
    assert [s.name for s in spans.get_finished_spans()] == ["fan-out batch"]
