"""The publish's spans: one PRODUCER span per record, continuing the trace the record was recorded in.

The write call put its trace context in the outbox entry's headers (feed/messaging/publisher.py
with_request_id); each record's publish span is that context's child, and the record goes to
Kafka carrying the publish span's context instead, so the worker's spans hang below the
publish. A span ends when the broker acknowledged its record (or the publish failed). A record
of an unsampled trace gets no span and keeps its context; one without context gets a publish
span of its own, sampled like any root. Built only when tracing is on.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace

from feed.store.outbox import OutboxEntry
from feed.telemetry import tracing
from feed.telemetry.trace_context import context_from, with_trace_context


class PublishSpans:
    """The started spans of one publish, and the headers each record is sent with."""

    def __init__(self, entries: Sequence[OutboxEntry], topic: str) -> None:
        tracer = tracing.tracer()
        attributes = {"messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation": "send"}
        self.spans: list[trace.Span] = []
        self.headers: list[list[tuple[str, bytes]]] = []
        for entry in entries:
            parent = context_from(entry.headers)
            recorded = trace.get_current_span(parent).get_span_context()
            if recorded.is_valid and not recorded.trace_flags.sampled:  # its trace is not kept: pass it on as is
                self.headers.append(list(entry.headers))
                continue
            span = tracer.start_span(f"publish {topic}", parent, kind=trace.SpanKind.PRODUCER, attributes=attributes)
            self.spans.append(span)
            self.headers.append(with_trace_context(entry.headers, trace.set_span_in_context(span)))

    def end(self, error: BaseException | None = None) -> None:
        """End every span; failed ones say why (the exception's type: never a payload)."""
        for span in self.spans:
            if error is not None:
                span.set_status(trace.StatusCode.ERROR, type(error).__name__)
            span.end()
