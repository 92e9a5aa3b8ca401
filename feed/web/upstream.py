"""Forward Connect calls over gRPC to the service that owns them, and map the answer back.

The Connect stubs (feed/v1/*_connect.py, generated) route a path to a method of a service
object; here every method of every service becomes one generic forwarder, so a new RPC in a
.proto is served by the gateway after `make proto` with no code here. What crosses over:
the request message as it is, the caller's `authorization`, an `x-request-id` (theirs when
usable, else a new one, returned in the response headers), and the deadline.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from feed.client.calls import keepalive_options
from feed.config import Settings
from feed.telemetry.request_context import METADATA_KEY, accept_request_id, new_request_id

log = logging.getLogger("feed.web")
READ_SERVICE = "feed.v1.FeedService"  # every other service is the write process's
UNARY_TIMEOUT_S = 30.0  # a caller that sends no deadline still gets one: no call holds a slot for ever
# Request headers the services read (besides x-request-id): the token, and a caller's W3C trace context,
# so a front end's trace continues into the service's span (docs/tracing.md). The gateway makes no span.
FORWARDED = ("authorization", "traceparent", "tracestate")
MAX_MESSAGE_BYTES = 4 << 20  # a page of hydrated posts; what gRPC clients accept by default
UNREACHABLE = "the service behind the gateway is not reachable: retry shortly"
MAX_DETAIL_CHARS = 300
SHUTDOWN_MESSAGE = "the gateway is shutting down: call again (streams: resume with the last resume_token)"
# Heartbeats keep a browser's stream open however long the service behind is silent, so a connection
# to it that died without a word would hold every stream on it for ever: pinged, it ends them (the
# browsers resume). One connection carries all of a gateway's streams: its pings cost nothing.
STREAM_KEEPALIVE_S = 10.0
RETRY_AFTER_MS = "retry-after-ms"  # the services' trailing hint (services.edge.RETRY_AFTER_KEY: not importable here)
RETRY_AFTER = "retry-after"  # HTTP's header (RFC 9110), in seconds

# gRPC and Connect share their codes by name, except CANCELLED, which Connect spells CANCELED.
_CODES = {status: Code[status.name] for status in grpc.StatusCode if status.name in Code.__members__}
_CODES[grpc.StatusCode.CANCELLED] = Code.CANCELED


def connect_error(error: grpc.aio.AioRpcError, ctx: RequestContext | None = None) -> ConnectError:
    """The Connect error for a gRPC status: same code, same message (the Connect spec maps it to HTTP).

    Except a service that could not be reached: gRPC's own text names internal addresses, so
    the caller gets a plain one and the log the original. Our services' answers are told
    apart by the request id every one of them returns in its trailers. A refusal's retry hint
    becomes ctx's Retry-After (see retry_after)."""
    code, message = _CODES.get(error.code(), Code.UNKNOWN), error.details() or ""
    if code is Code.UNAVAILABLE and not _answered_by_a_service(error):
        log.warning("service unreachable", extra={"detail": message[:MAX_DETAIL_CHARS]})
        message = UNREACHABLE
    if ctx is not None and (seconds := retry_after(error)) is not None:
        # Headers for a unary answer; a stream's went out at open, so its end-of-stream metadata too.
        ctx.response_headers[RETRY_AFTER] = ctx.response_trailers[RETRY_AFTER] = str(seconds)
    return ConnectError(code, message)


def retry_after(error: grpc.aio.AioRpcError) -> int | None:
    """The service's retry-after-ms hint (services.edge.RETRY_AFTER_KEY) in whole seconds, rounded up."""
    for key, value in error.trailing_metadata() or ():
        if key == RETRY_AFTER_MS and str(value).isdigit():
            return max(1, math.ceil(int(value) / 1000))
    return None


def _answered_by_a_service(error: grpc.aio.AioRpcError) -> bool:
    return any(key == METADATA_KEY for key, _ in error.trailing_metadata() or ())


class Upstreams:
    """The gRPC channels to the write service, the read service and its stream server.

    Opened inside the server's event loop (grpc.aio binds a channel to the loop it starts
    on) and closed at shutdown; `draining` is set first, so open streams end cleanly."""

    def __init__(self, settings: Settings) -> None:
        self._addrs = {"write": settings.write_addr, "read": settings.read_addr, "stream": settings.stream_addr}
        self.heartbeat_s = settings.web_heartbeat_s
        self._channels: dict[str, grpc.aio.Channel] = {}
        self.draining = asyncio.Event()

    def open(self) -> None:
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
        self._channels = {
            role: grpc.aio.insecure_channel(
                addr, options=[*options, *keepalive_options(STREAM_KEEPALIVE_S if role == "stream" else None)]
            )
            for role, addr in self._addrs.items()
        }
        self._unary.cache_clear()
        self._stream.cache_clear()

    async def close(self) -> None:
        self.draining.set()
        for channel in self._channels.values():
            await channel.close(grace=None)

    def _channel(self, service: str, streaming: bool) -> grpc.aio.Channel:
        if service != READ_SERVICE:
            return self._channels["write"]
        return self._channels["stream" if streaming else "read"]

    @functools.cache  # noqa: B019 - one multicallable per method, for the gateway's life
    def _unary(self, service: str, method: str, parse: Callable[[bytes], Any]) -> grpc.aio.UnaryUnaryMultiCallable:
        return self._channel(service, False).unary_unary(
            f"/{service}/{method}", request_serializer=_serialize, response_deserializer=parse
        )

    @functools.cache  # noqa: B019
    def _stream(self, service: str, method: str, parse: Callable[[bytes], Any]) -> grpc.aio.UnaryStreamMultiCallable:
        return self._channel(service, True).unary_stream(
            f"/{service}/{method}", request_serializer=_serialize, response_deserializer=parse
        )

    async def unary(self, request: Any, ctx: RequestContext) -> Any:
        """Forward one unary call; its gRPC status becomes the Connect error."""
        info = ctx.method
        call = self._unary(info.service_name, info.name, info.output.FromString)
        timeout_s = ctx.timeout_ms / 1000 if ctx.timeout_ms is not None else UNARY_TIMEOUT_S
        try:
            return await call(request, metadata=_metadata(ctx), timeout=max(timeout_s, 0.001))
        except grpc.aio.AioRpcError as error:
            raise connect_error(error, ctx) from None

    async def stream(self, request: Any, ctx: RequestContext) -> AsyncIterator[Any]:
        """Forward one server stream message by message until it ends, fails, or the gateway drains.

        connectrpc sends the response headers with the first message, and a quiet stream may have
        none for hours: a browser could not tell it is open, and a proxy's idle timeout would cut
        it. So a message type with a `heartbeat` case gets one at open and after every
        heartbeat_s without a message (one timer per stream: the wait's timeout)."""
        info = ctx.method
        call = self._stream(info.service_name, info.name, info.output.FromString)
        timeout_s = ctx.timeout_ms / 1000 if ctx.timeout_ms is not None else None
        upstream = call(request, metadata=_metadata(ctx), timeout=timeout_s)
        heartbeat = heartbeat_of(info.output)
        idle_s = self.heartbeat_s if heartbeat is not None else None
        drained = asyncio.ensure_future(self.draining.wait())
        read: asyncio.Future | None = None
        try:
            if heartbeat is not None:
                yield heartbeat  # the headers go out now, before the service's first event
            while True:
                read = read or asyncio.ensure_future(upstream.read())
                # Race point: a drain that starts while a message is on its way ends the stream
                # without it; the client resumes from the last resume_token it saw, so nothing is lost.
                await asyncio.wait({read, drained}, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    if drained.done():
                        raise ConnectError(Code.UNAVAILABLE, SHUTDOWN_MESSAGE)
                    yield heartbeat  # quiet for idle_s; the read stays pending
                    continue
                message, read = read.result(), None
                if message is grpc.aio.EOF:
                    return
                yield message
        except grpc.aio.AioRpcError as error:
            raise connect_error(error, ctx) from None
        finally:
            if read is not None:
                read.cancel()
            drained.cancel()
            upstream.cancel()  # the caller left, or the stream ended: free the upstream stream now


@functools.cache
def heartbeat_of(message_type: type) -> Any:
    """A message of message_type with only its `heartbeat` case set, or None if it has no such case."""
    if "heartbeat" not in message_type.DESCRIPTOR.fields_by_name:
        return None
    message = message_type()
    message.heartbeat.SetInParent()
    return message  # shared by every stream: never changed after this


def forwarder(service: type, upstreams: Upstreams) -> Any:
    """An object with every method of a generated service protocol, each forwarding over gRPC.

    Async methods of the protocol are unary calls; plain ones return an async iterator: streams."""
    methods = {
        name: upstreams.unary if inspect.iscoroutinefunction(fn) else upstreams.stream
        for name, fn in vars(service).items()
        if not name.startswith("_") and inspect.isfunction(fn)
    }
    return types.SimpleNamespace(**methods)


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


def _metadata(ctx: RequestContext) -> list[tuple[str, str]]:
    """The gRPC metadata for a call: the caller's authorization and a request id, echoed to the caller."""
    headers = ctx.request_headers
    request_id = accept_request_id(headers.get(METADATA_KEY)) or new_request_id()
    ctx.response_headers[METADATA_KEY] = request_id
    return [(METADATA_KEY, request_id), *((key, headers[key]) for key in FORWARDED if key in headers)]
