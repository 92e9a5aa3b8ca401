"""gRPC server interceptor: a request id and the RED metrics of every call of our services.

A hook at the edge, so servicers hold no metrics or tracing code. The request
id is the client's `x-request-id` metadata when it sent a usable one, else a
new one; it is current (feed.telemetry.request_context) while the handler runs, so log
lines and published events carry it, and it goes back to the client in the
trailing metadata. The status code is read from the context after the handler
ends, which is where context.abort() leaves it; an exception that escapes the
handler is what gRPC reports as UNKNOWN.

Requests are parsed here too. gRPC's own parsing fails inside grpcio, before any
interceptor runs, as INTERNAL "Exception deserializing request!" and uncounted; so
the parser of each method is wrapped to hand back a Malformed marker instead, which
the call answers INVALID_ARGUMENT, counted like any other call, before anything
else (authentication, tracing, the servicer) sees it.

When tracing is on (feed.telemetry.tracing, decided once when the interceptor is built),
each call also runs in a SERVER span continuing the caller's W3C `traceparent` metadata
(services/rpc_spans.py), and its latency is observed with an exemplar carrying the
sampled span's trace id. When it is off, calls take exactly the untraced path.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc

from feed.telemetry import metrics, tracing
from feed.telemetry.request_context import METADATA_KEY, accept_request_id, new_request_id, request_id_scope

log = logging.getLogger("feed.rpc")

Behavior = Callable[[Any, grpc.ServicerContext], Any]
Deserializer = Callable[[bytes], Any]
MAX_REASON_CHARS = 200


class Malformed:
    """A request whose bytes did not parse, and why (the parser's message names the expected type)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def tolerant(parse: Deserializer) -> Deserializer:
    """parse, returning Malformed instead of raising: a bad request is the caller's error, not ours."""

    def parse_or_mark(raw: bytes) -> Any:
        try:
            return parse(raw)
        except Exception as exc:  # DecodeError: truncated, not protobuf, a string that is not UTF-8
            return Malformed(f"the request does not parse: {exc}"[:MAX_REASON_CHARS])

    return parse_or_mark


class ObservabilityInterceptor(grpc.ServerInterceptor):
    """Times and counts the unary calls of the named services and gives each a request id.

    Only methods of our own services are labelled (health, reflection and unknown
    methods pass through untouched), so a caller cannot mint new label values.
    """

    def __init__(self, service_names: Iterable[str]) -> None:
        self._services = frozenset(service_names)
        self._traced = tracing.enabled()  # once: the untraced path never asks again

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None], details: Any
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or handler.request_streaming or handler.response_streaming:
            return handler
        service, _, method = details.method.lstrip("/").rpartition("/")
        if service not in self._services:
            return handler
        request_id = accept_request_id(_metadata(details, METADATA_KEY)) or new_request_id()
        parse = handler.request_deserializer
        behavior = _observed(handler.unary_unary, service, method, request_id, self._traced)
        if self._traced:
            from services.rpc_spans import traced

            behavior = traced(behavior, service, method, request_id, details.invocation_metadata)
        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=tolerant(parse) if parse is not None else None,
            response_serializer=handler.response_serializer,
        )


def _observed(behavior: Behavior, service: str, method: str, request_id: str, traced: bool = False) -> Behavior:
    """behavior, run with request_id current, counted by status code and timed (with the trace id
    as exemplar when traced and the call's span is sampled)."""

    def observed(request: Any, context: grpc.ServicerContext) -> Any:
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN
        context.set_trailing_metadata(((METADATA_KEY, request_id),))
        with request_id_scope(request_id):
            try:
                if type(request) is Malformed:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.reason)
                response = behavior(request, context)
                code = context.code() or grpc.StatusCode.OK  # a handler may set_code() without raising
                return response
            except Exception:
                code = context.code() or grpc.StatusCode.UNKNOWN  # abort() sets the code, then raises
                raise
            finally:
                seconds = time.perf_counter() - started
                _requests(service, method, code.name).inc()
                _seconds(service, method).observe(seconds, _exemplar() if traced else None)
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("rpc", extra={"method": method, "code": code.name, "ms": round(seconds * 1e3, 2)})

    return observed


# Labelled children looked up once: .labels() costs about 4 us a call, twice per RPC. Bounded by
# the methods of our services (only those are labelled) times the status codes.
@functools.lru_cache(maxsize=1024)
def _requests(service: str, method: str, code: str):
    return metrics.RPC_REQUESTS.labels(service, method, code)


@functools.lru_cache(maxsize=256)
def _seconds(service: str, method: str):
    return metrics.RPC_SECONDS.labels(service, method)


def _exemplar() -> dict[str, str] | None:
    """The current sampled span's trace id, as an OpenMetrics exemplar: a latency bucket links to a trace."""
    trace_id = tracing.current_trace_id(sampled_only=True)
    return {"trace_id": trace_id} if trace_id else None


def _metadata(details: Any, key: str) -> str | bytes | None:
    for item_key, value in details.invocation_metadata or ():
        if item_key == key:
            return value
    return None
