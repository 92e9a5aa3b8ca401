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
from feed.telemetry.request_context import METADATA_KEY, accept_request_id, bind_request_id, new_request_id

log = logging.getLogger("feed.rpc")

Behavior = Callable[[Any, grpc.ServicerContext], Any]
Deserializer = Callable[[bytes], Any]
MAX_REASON_CHARS = 200
MAX_WRAPPED = 256  # wrapped handlers an interceptor keeps (our services' methods are about 40)


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

    Untraced, a method's wrapped handler is built once (Wrapped) and reads what is per call (the
    request id) from the call's context: building handlers and closures on every call cost a page
    about 4 us of Python, several times that in the server's CPU. Traced, each call's handler is
    built with its span's parent, as before.
    """

    def __init__(self, service_names: Iterable[str]) -> None:
        self._services = frozenset(service_names)
        self._traced = tracing.enabled()  # once: the untraced path never asks again
        self._wrapped = Wrapped(self._wrap)

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None], details: Any
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or handler.request_streaming or handler.response_streaming:
            return handler
        if not self._traced:
            return self._wrapped.get(handler, details.method)
        service, _, method = details.method.lstrip("/").rpartition("/")
        if service not in self._services:
            return handler
        from services.rpc_spans import traced

        request_id = accept_request_id(metadata_value(details.invocation_metadata, METADATA_KEY)) or new_request_id()
        behavior = traced(
            _observed(handler.unary_unary, service, method, lambda _: request_id, True),
            service,
            method,
            request_id,
            details.invocation_metadata,
        )
        return _unary(handler, behavior)

    def _wrap(self, handler: grpc.RpcMethodHandler, full_method: str) -> grpc.RpcMethodHandler:
        service, _, method = full_method.lstrip("/").rpartition("/")
        if service not in self._services:
            return handler
        return _unary(handler, _observed(handler.unary_unary, service, method, _request_id))


class Wrapped:
    """An interceptor's wrapped handler for each method, built once by wrap(handler, method).

    Kept per method name with the handler it wraps, and used only while the handler below is that
    very object (the registered handlers are the same objects on every call; handlers compare by
    value, so one behavior registered under two names must not share an entry). An interceptor below
    that builds a new handler per call (the trace recorder) makes every call build anew. Only
    methods that have a handler get here, and the map is cleared whole at MAX_WRAPPED: bounded."""

    __slots__ = ("_map", "_wrap")

    def __init__(self, wrap: Callable[[grpc.RpcMethodHandler, str], grpc.RpcMethodHandler]) -> None:
        self._wrap = wrap
        self._map: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def get(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        entry = self._map.get(method)
        if entry is not None and entry[0] is handler:
            return entry[1]
        wrapped = self._wrap(handler, method)
        if len(self._map) >= MAX_WRAPPED:
            self._map.clear()
        self._map[method] = (handler, wrapped)
        return wrapped


def _unary(handler: grpc.RpcMethodHandler, behavior: Behavior) -> grpc.RpcMethodHandler:
    """handler with behavior, its request parser made tolerant (a Malformed marker instead of raising)."""
    parse = handler.request_deserializer
    return grpc.unary_unary_rpc_method_handler(
        behavior,
        request_deserializer=tolerant(parse) if parse is not None else None,
        response_serializer=handler.response_serializer,
    )


def _request_id(context: grpc.ServicerContext) -> str:
    """The call's request id: the client's x-request-id if usable, else a new one."""
    return accept_request_id(metadata_value(context.invocation_metadata(), METADATA_KEY)) or new_request_id()


def _observed(
    behavior: Behavior,
    service: str,
    method: str,
    request_id_of: Callable[[grpc.ServicerContext], str] = _request_id,
    traced: bool = False,
) -> Behavior:
    """behavior, run with the call's request id current, counted by status code and timed (with the
    trace id as exemplar when traced and the call's span is sampled)."""
    requests = functools.partial(_requests, service, method)
    seconds = _seconds(service, method)

    def observed(request: Any, context: grpc.ServicerContext) -> Any:
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN
        request_id = request_id_of(context)
        context.set_trailing_metadata(((METADATA_KEY, request_id),))
        token = bind_request_id(request_id)
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
            token.var.reset(token)
            elapsed = time.perf_counter() - started
            requests(code.name).inc()
            seconds.observe(elapsed, _exemplar() if traced else None)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("rpc", extra={"method": method, "code": code.name, "ms": round(elapsed * 1e3, 2)})

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


def metadata_value(metadata: Iterable[tuple[str, Any]] | None, key: str) -> str | bytes | None:
    """The first value of key in a call's metadata, None when it has none."""
    for item_key, value in metadata or ():
        if item_key == key:
            return value
    return None
