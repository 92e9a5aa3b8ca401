"""The SERVER span of a WatchHomeTimeline stream's opening, when tracing is on.

A span held open for a stream's whole life cost the read process dearly (10,000 idle streams
took half as long again to open, and /metrics slowed to seconds: docs/tracing.md), so a stream's
span covers its opening only: from the call to its registration with the hub (token, rate limit,
the followees and groups it watches). It continues the caller's trace (W3C `traceparent`), carries
the request id and the user id, and ends with the opening's status: OK once the stream is live.
What the stream delivers later is each post's own trace (the write, the publish, the worker).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
from opentelemetry import trace

from feed.telemetry import tracing
from feed.telemetry.trace_context import context_from
from services.rpc_spans import SERVER_ERRORS

NAME = "feed.v1.FeedService/WatchHomeTimeline"


class OpeningSpan:
    """Ends once: opened() when the stream is live, failed(code) when its opening did not get there."""

    def __init__(self, metadata: Mapping[str, Any], request_id: str) -> None:
        self._span: Any = tracing.tracer().start_span(
            NAME,
            context=context_from(metadata.items()),
            kind=trace.SpanKind.SERVER,
            attributes={
                "rpc.system": "grpc",
                "rpc.service": "feed.v1.FeedService",
                "rpc.method": "WatchHomeTimeline",
                "feed.request_id": request_id,
            },
            record_exception=False,
            set_status_on_exception=False,
        )

    def opened(self, user_id: int) -> None:
        if self._span is not None:
            self._span.set_attribute("feed.user_id", str(user_id))
            self._end(grpc.StatusCode.OK)

    def failed(self, code: grpc.StatusCode) -> None:
        if self._span is not None:
            self._end(code)

    def _end(self, code: grpc.StatusCode) -> None:
        span, self._span = self._span, None
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in SERVER_ERRORS:
            span.set_status(trace.StatusCode.ERROR, code.name)
        span.end()


class NoSpan:
    """Tracing off: nothing is created, nothing is called."""

    def opened(self, user_id: int) -> None:
        pass

    def failed(self, code: grpc.StatusCode) -> None:
        pass


NO_SPAN = NoSpan()


def opening_span(metadata: Mapping[str, Any], request_id: str) -> OpeningSpan | NoSpan:
    return OpeningSpan(metadata, request_id) if tracing.enabled() else NO_SPAN
