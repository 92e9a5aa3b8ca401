"""W3C trace context across our hops: gRPC metadata in, Kafka record headers out and in.

A CreatePost's context is written into its outbox entry's headers (`traceparent`, and
`tracestate` when there is one) as the entry is recorded, inside the server span; the
relay publishes the record under a PRODUCER span whose context replaces it; the worker
reads it back to link its batch span and parent its per-event spans. The propagator is
OpenTelemetry's global one (W3C tracecontext and baggage unless OTEL_PROPAGATORS says
otherwise). Only called when tracing is on (feed.telemetry.tracing.enabled()).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter

Headers = Sequence[tuple[str, bytes]]


class _HeaderGetter(Getter[Headers]):
    """Reads a Kafka header list (name, bytes) or gRPC metadata (name, str) as a carrier."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = [_text(value) for name, value in carrier or () if name == key]
        return values or None

    def keys(self, carrier: Headers) -> list[str]:
        return [name for name, _ in carrier or ()]


_GETTER = _HeaderGetter()


def context_from(carrier: Iterable[tuple[str, Any]] | None) -> Context:
    """The caller's trace context in headers or metadata (an empty context if none is there)."""
    return propagate.extract(list(carrier or ()), getter=_GETTER)


def with_trace_context(headers: Headers, context: Context | None = None) -> list[tuple[str, bytes]]:
    """headers with their trace context replaced by context's (the current one by default)."""
    fields: dict[str, str] = {}
    propagate.inject(fields, context=context)
    kept = [(name, value) for name, value in headers if name not in fields]
    return kept + [(name, value.encode("ascii", errors="replace")) for name, value in fields.items()]


def _text(value: str | bytes) -> str:
    return value.decode("ascii", errors="replace") if isinstance(value, bytes) else value
