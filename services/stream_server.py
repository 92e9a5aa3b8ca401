"""The read process's grpc.aio server: the whole FeedService, WatchHomeTimeline natively.

A synchronous grpc.server holds a pool thread per open stream; ten thousand streams
cannot. So the read process also runs this asyncio server (uvloop) on a thread and an
event loop of its own, at FEED_STREAM_ADDR: streams are coroutines, the unary methods
run the sync FeedServicer in a bounded migration thread pool (a client with one address
can use this one for everything, at some 80 us more per unary call than FEED_READ_ADDR),
with gRPC health (the same readiness as the sync server) and reflection. The sync
interceptors are reused for unary calls through small aio adapters.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from feed.health.readiness import ReadinessChecker
from feed.stream.hub import StreamHub
from feed.stream.subscriber import AppliedSubscriber
from feed.v1 import feed_service_pb2_grpc
from services.edge import add_feed_servicer
from services.interceptors import tolerant
from services.server import LIVENESS

log = logging.getLogger("feed.stream")
GRACE_S = 5.0  # after the streams ended: unary calls in flight finish within it
STREAMS_END_S = 5.0  # streams told to end (UNAVAILABLE) have this long to go before the server stops
MAX_MESSAGE_BYTES = 1 << 20
# Clients ping a quiet stream's connection to notice a silent drop (feed.client pings every 30 s). gRPC's
# default lets a connection that sends no data be pinged once per 5 min, and answers more with GOAWAY
# too_many_pings, which would end every quiet watch; pings every 5 s or slower are accepted.
KEEPALIVE_MIN_PING_S = 5
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),
    ("grpc.http2.min_ping_interval_without_data_ms", KEEPALIVE_MIN_PING_S * 1000),
]


class TrackedContext:
    """A sync handler's aio context as the sync interceptors expect it: code() and trailing_metadata()
    answer what the handler set (grpc.aio's _SyncServicerContext has neither)."""

    __slots__ = ("_code", "_context", "_trailing")

    def __init__(self, context: Any) -> None:
        self._context = context
        self._code: grpc.StatusCode | None = None
        self._trailing: tuple = ()

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        self._context.abort(code, details)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, str]]) -> None:
        self._trailing = tuple(metadata)
        self._context.set_trailing_metadata(self._trailing)

    def trailing_metadata(self) -> tuple:
        return self._trailing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class SyncInterceptor(grpc.aio.ServerInterceptor):
    """A sync grpc.ServerInterceptor on the aio server: await the rest of the chain, then hand the
    handler to it (it wraps unary handlers, passes the others through)."""

    def __init__(self, inner: grpc.ServerInterceptor) -> None:
        self._inner = inner

    async def intercept_service(self, continuation, details) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        return self._inner.intercept_service(lambda _: handler, details)


class TrackedContexts(grpc.aio.ServerInterceptor):
    """Outermost: every sync unary behavior gets a TrackedContext."""

    async def intercept_service(self, continuation, details) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None or asyncio.iscoroutinefunction(handler.unary_unary):
            return handler
        behavior = handler.unary_unary
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: behavior(request, TrackedContext(context)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class TolerantStreams(grpc.aio.ServerInterceptor):
    """A stream's request that does not parse reaches the handler as a Malformed marker (which it
    answers INVALID_ARGUMENT, counted), as ObservabilityInterceptor does for unary calls; else
    grpc.aio answers UNKNOWN with the parser's exception, uncounted."""

    async def intercept_service(self, continuation, details) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_stream is None or handler.request_deserializer is None:
            return handler
        return grpc.unary_stream_rpc_method_handler(
            handler.unary_stream,
            request_deserializer=tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )


class StreamServer:
    """The aio server on its own thread and event loop; start() returns once it listens."""

    def __init__(
        self,
        addr: str,
        servicer: Callable[[futures.ThreadPoolExecutor], feed_service_pb2_grpc.FeedServiceServicer],
        hub: StreamHub,
        redis_url: str,
        service_names: list[str],
        interceptors: Sequence[grpc.ServerInterceptor],
        threads: int,
    ) -> None:
        self.addr = addr
        self.port = 0
        self.hub = hub
        self._servicer = servicer
        self._redis_url = redis_url
        self._names = service_names
        self._interceptors = interceptors
        self._threads = threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="stream-server", daemon=True)
        self.subscriber: AppliedSubscriber | None = None

    def start(self, readiness: ReadinessChecker | None = None) -> None:
        self._readiness = readiness
        self._thread.start()
        self._started.wait()
        if self._failure is not None:
            raise RuntimeError(f"the stream server could not start on {self.addr}") from self._failure
        log.info("stream server listening", extra={"addr": self.addr, "port": self.port})

    def stop(self) -> None:
        """End every stream (UNAVAILABLE: resume with the last resume_token), then stop the server."""
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(STREAMS_END_S + GRACE_S + 5)

    def _run(self) -> None:
        import uvloop

        loop = self._loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(), or logged once serving
            self._failure = exc
            if self._started.is_set():
                log.exception("the stream server failed")
        finally:
            self._started.set()
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        pool = futures.ThreadPoolExecutor(self._threads, thread_name_prefix="stream-rpc")
        reads = futures.ThreadPoolExecutor(max(2, self._threads // 2), thread_name_prefix="stream-read")
        server = grpc.aio.server(
            migration_thread_pool=pool,
            interceptors=[TrackedContexts(), TolerantStreams(), *(SyncInterceptor(i) for i in self._interceptors)],
            options=SERVER_OPTIONS,
        )
        add_feed_servicer(self._servicer(reads), server)  # the pages' spliced bytes, as on the sync server
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection([*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
        self.port = server.add_insecure_port(self.addr)
        if self.port == 0:
            raise RuntimeError(f"could not bind {self.addr}")
        await server.start()
        self._follow_readiness(health_servicer)
        self.subscriber = AppliedSubscriber(self._redis_url, self.hub.on_applied, self.hub.wake_all)
        listening = asyncio.ensure_future(self.subscriber.run())
        self._started.set()
        try:
            await self._stopping.wait()
            await self._end_streams()
            await health_servicer.enter_graceful_shutdown()
            await server.stop(GRACE_S)
        finally:
            await _cancel(listening, STREAMS_END_S)
            pool.shutdown(wait=False, cancel_futures=True)
            reads.shutdown(wait=False, cancel_futures=True)
        log.info("stream server stopped")

    async def _end_streams(self) -> None:
        """Tell every stream to end, and give them STREAMS_END_S to send their status."""
        self.hub.shutdown()
        deadline = asyncio.get_running_loop().time() + STREAMS_END_S
        while len(self.hub) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)  # polled at shutdown only: the streams end on their own coroutines

    def _follow_readiness(self, health_servicer: Any) -> None:
        loop = asyncio.get_running_loop()
        serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING

        def report(ready: bool) -> None:  # called from the readiness thread
            if loop.is_closed():  # the server stopped before the readiness checker
                return
            for name in ["", *self._names]:
                asyncio.run_coroutine_threadsafe(health_servicer.set(name, serving if ready else not_serving), loop)

        asyncio.run_coroutine_threadsafe(health_servicer.set(LIVENESS, serving), loop)
        if self._readiness is None:
            report(True)
        else:
            self._readiness.add_listener(report)


async def _cancel(task: asyncio.Task, timeout_s: float) -> None:
    """Cancel task and wait for it, at most timeout_s. Cancelled again until it ends: redis-py may
    swallow a cancellation that lands while it connects, and then go on to listen."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not task.done() and asyncio.get_running_loop().time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
