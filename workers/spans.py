"""The worker's spans, when tracing is on: a batch span linked to every record, a span per event.

A polled batch mixes events of many traces, so its CONSUMER span `fan-out batch` starts a
trace of its own with a link to each record's context (the relay's publish span, from the
`traceparent` header), and holds what the batch does as children (store reads of resolve,
the Redis calls of apply). Then every applied event gets a CONSUMER span `apply <Type>` in
its own trace, child of its publish span and linked to the batch, spanning the batch's apply:
so one CreatePost's trace shows the write call, the publish and the delivery. A record
without trace context, or of an unsampled trace, gets no span of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import trace

from feed.events import Envelope
from feed.telemetry import tracing
from feed.telemetry.trace_context import context_from
from workers.observability import request_id_of

MAX_LINKS = 128  # the SDK's default link limit per span (OTEL_SPAN_LINK_COUNT_LIMIT)


def _span_context(record: Any) -> trace.SpanContext:
    return trace.get_current_span(context_from(record.headers)).get_span_context()


@contextlib.contextmanager
def batch_span(records: Sequence[Any], topic: str) -> Iterator[trace.Span]:
    """The current span while a polled batch is applied."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation": "process",
        "messaging.batch.message_count": len(records),
    }
    with tracing.tracer().start_as_current_span(
        "fan-out batch", kind=trace.SpanKind.CONSUMER, attributes=attributes, record_exception=False
    ) as span:
        if span.is_recording():  # links added after sampling: an unsampled batch never reads the headers
            for context in [c for c in map(_span_context, records) if c.is_valid][:MAX_LINKS]:
                span.add_link(context)
        yield span


def event_spans(items: Sequence[tuple[Any, Envelope]], started_ns: int, batch: trace.Span) -> None:
    """One finished span per applied event, in its write's trace, from started_ns to now."""
    tracer = tracing.tracer()
    ended_ns = time.time_ns()
    link = [trace.Link(batch.get_span_context())]
    for record, envelope in items:
        parent = context_from(record.headers)
        if not trace.get_current_span(parent).get_span_context().trace_flags.sampled:
            continue  # no context (published untraced), or its trace is not kept
        span = tracer.start_span(
            f"apply {envelope.kind}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            links=link,
            start_time=started_ns,
            attributes=_describe(record, envelope),
        )
        span.end(end_time=ended_ns)


def _describe(record: Any, envelope: Envelope) -> dict[str, Any]:
    """Ids only: the event, its post (as a string: ids exceed a JSON number), where it was read."""
    attributes: dict[str, Any] = {
        "feed.event_id": envelope.event_id,
        "feed.event_type": envelope.kind,
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
    }
    post_id = getattr(envelope.event, "post_id", 0)
    if post_id:
        attributes["feed.post_id"] = str(post_id)
    request_id = request_id_of(record)
    if request_id:
        attributes["feed.request_id"] = request_id
    return attributes
