"""The SERVER span of a unary call, for services/interceptors.py when tracing is on.

The span continues the caller's trace (W3C `traceparent` in the call's metadata), is
named `package.Service/Method` with the rpc.* attributes, carries the request id, ends
with the call's status code, and names the posts the call wrote or returned
(`feed.post_id`, `feed.post_ids`, as strings: ids exceed what a JSON number keeps) so a
trace search finds the read that showed a post. Never the post text or a token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import grpc
from opentelemetry import trace

from feed.telemetry import tracing
from feed.telemetry.trace_context import context_from

Behavior = Callable[[Any, grpc.ServicerContext], Any]
MAX_POST_IDS = 100  # a page's posts at most (PAGE_MAX): bounded attribute size
# Server errors per the semantic conventions; the others are the caller's and leave the status unset.
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


def traced(
    behavior: Behavior, service: str, method: str, request_id: str, metadata: Iterable[tuple[str, Any]] | None
) -> Behavior:
    """behavior inside a SERVER span that continues the trace in metadata."""
    tracer = tracing.tracer()
    parent = context_from(metadata)
    name = f"{service}/{method}"
    attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method, "feed.request_id": request_id}

    def in_span(request: Any, context: grpc.ServicerContext) -> Any:
        with tracer.start_as_current_span(
            name,
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,  # an exception's message may quote the request
            set_status_on_exception=False,
        ) as span:
            try:
                response = behavior(request, context)
            except Exception:
                _finish(span, context.code() or grpc.StatusCode.UNKNOWN)
                raise
            _finish(span, context.code() or grpc.StatusCode.OK)
            if span.is_recording():
                _name_posts(span, response)
            return response

    return in_span


def _finish(span: trace.Span, code: grpc.StatusCode) -> None:
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in SERVER_ERRORS:
        span.set_status(trace.StatusCode.ERROR, code.name)


def _name_posts(span: trace.Span, response: Any) -> None:
    """The post a call created or fetched, or the posts of a page it returned."""
    post_id = getattr(response, "post_id", 0)
    if post_id:
        span.set_attribute("feed.post_id", str(post_id))
    posts = getattr(response, "posts", None)
    if posts:
        span.set_attribute("feed.post_ids", [str(p.post_id) for p in posts[:MAX_POST_IDS]])
