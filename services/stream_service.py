"""WatchHomeTimeline on the grpc.aio stream server: authenticate, observe, run the stream's session.

The sync interceptors wrap unary calls only, so the stream call does their work here
with the same parts: the token check (verify_cached, keeping the token's exp: the
stream ends with UNAUTHENTICATED then), the caller's organization binding (on_caller),
the RED metrics with the method labelled, and the request id. The other FeedService
methods are the sync FeedServicer's, run by the aio server in its migration thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc

from feed import errors
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.verified_tokens import verify_cached_with_expiry
from feed.domain import Source
from feed.ids import require_id
from feed.store import Store
from feed.store.base import walk_pages
from feed.stream.hub import StreamHub
from feed.stream.reads import Delivery, NewerReads, check_token
from feed.stream.session import Session
from feed.stream.state import MAX_SOURCES, StreamState
from feed.telemetry import metrics
from feed.telemetry.request_context import METADATA_KEY, accept_request_id, new_request_id, request_id_scope
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc
from services.edge import RETRY_AFTER_KEY, STATUS_OF, TRANSIENT, post_to_proto
from services.interceptors import Malformed
from services.stream_spans import NO_SPAN, NoSpan, OpeningSpan, opening_span

log = logging.getLogger("feed.stream")
SERVICE = "feed.v1.FeedService"
METHOD = "WatchHomeTimeline"
GROUP_PAGE = 1000


class StreamOut:
    """A Session's events as HomeTimelineEvent messages on one call."""

    __slots__ = ("_context",)

    def __init__(self, context: grpc.aio.ServicerContext) -> None:
        self._context = context

    async def post(self, delivery: Delivery) -> None:
        await self._context.write(
            feed_service_pb2.HomeTimelineEvent(post=post_to_proto(delivery.post), resume_token=delivery.token)
        )

    async def deleted(self, post_id: int, token: str) -> None:
        await self._context.write(feed_service_pb2.HomeTimelineEvent(deleted_post_id=post_id, resume_token=token))

    async def gap(self, token: str) -> None:
        gap = feed_service_pb2.TimelineGap(page_token=token)
        await self._context.write(feed_service_pb2.HomeTimelineEvent(gap=gap, resume_token=token))


class StreamingFeedServicer(feed_service_pb2_grpc.FeedServiceServicer):
    """The whole FeedService for the aio server: the stream natively, the rest from the sync servicer."""

    def __init__(
        self,
        unary: feed_service_pb2_grpc.FeedServiceServicer,
        hub: StreamHub,
        reads: NewerReads,
        store: Store,
        keys: Any,
        pool: futures.ThreadPoolExecutor,
        limiter: RedisRateLimiter,
        on_caller: Callable[[Principal], None] | None = None,
    ) -> None:
        self._unary = unary
        self._hub = hub
        self._reads = reads
        self._store = store
        self._keys = keys
        self._pool = pool
        self._limiter = limiter
        self._on_caller = on_caller

    def __getattribute__(self, name: str) -> Any:
        # The unary methods are the sync servicer's own bound methods (run in the migration pool).
        if name in _UNARY:
            return getattr(object.__getattribute__(self, "_unary"), name)
        return object.__getattribute__(self, name)

    async def WatchHomeTimeline(self, request, context: grpc.aio.ServicerContext) -> None:
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        metadata = dict(context.invocation_metadata() or ())
        request_id = accept_request_id(metadata.get(METADATA_KEY)) or new_request_id()
        context.set_trailing_metadata(((METADATA_KEY, request_id),))
        span = opening_span(metadata, request_id)
        with request_id_scope(request_id):
            try:
                await self._watch(request, metadata.get("authorization"), context, span)
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED  # the client went away
                span.failed(code)
                raise
            except Exception as exc:
                code, message = _status_of(exc)
                span.failed(code)
                if isinstance(exc, errors.ResourceExhausted):
                    context.set_trailing_metadata(
                        ((METADATA_KEY, request_id), (RETRY_AFTER_KEY, str(exc.retry_after_ms)))
                    )
                await context.abort(code, message)
            finally:
                metrics.RPC_REQUESTS.labels(SERVICE, METHOD, code.name).inc()
                metrics.RPC_SECONDS.labels(SERVICE, METHOD).observe(time.perf_counter() - started)

    async def _watch(self, request, authorization: Any, context, span: OpeningSpan | NoSpan = NO_SPAN) -> None:
        if type(request) is Malformed:  # bytes that do not parse (services.stream_server.TolerantStreams)
            raise errors.InvalidArgument(request.reason)
        principal, exp = verify_cached_with_expiry(
            self._keys, authorization if isinstance(authorization, str) else None
        )
        loop = asyncio.get_running_loop()

        def blocking(fn, *args):
            return loop.run_in_executor(self._pool, fn, *args)

        if self._on_caller is not None:
            await blocking(self._on_caller, principal)
        user = require_id(request.user_id, "user_id")
        principal.acting_as(user, "user_id")  # a home timeline is private to its owner
        check_token(request.page_token)
        await blocking(self._limiter.take, user)  # one read of the caller's budget; the stream's reads spend none
        stream = StreamState(user, principal.org_id, request.page_token, exp, time.time())
        sources = await blocking(_sources_of, self._store, user)
        self._hub.open(stream, sources)
        span.opened(user)  # live: the opening's span ends here, not with the stream (services/stream_spans.py)
        try:
            await Session(stream, self._hub, self._reads, blocking, StreamOut(context)).run(request.page_token)
        finally:
            self._hub.close(stream)


def _sources_of(store: Store, user: int) -> list[Source]:
    """The user's followees and groups, at most MAX_SOURCES (+1, so the index can tell it cut)."""
    sources = []
    for followee in store.graph.iter_following(user):
        sources.append(Source(author_id=followee))
        if len(sources) > MAX_SOURCES:
            return sources
    for group in walk_pages(lambda token: store.orgs.list_user_groups(user, GROUP_PAGE, token)):
        sources.append(Source(group_id=group))
        if len(sources) > MAX_SOURCES:
            break
    return sources


def _status_of(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status a failed stream ends with, as services.edge.rpc maps a unary call's errors."""
    if isinstance(exc, errors.FeedError):
        return STATUS_OF.get(type(exc), grpc.StatusCode.INTERNAL), str(exc)
    if isinstance(exc, TRANSIENT):
        log.warning("dependency unavailable in %s: %s", METHOD, type(exc).__name__)
        return grpc.StatusCode.UNAVAILABLE, "a backing service is unavailable; retry shortly"
    log.exception("unexpected error in %s", METHOD)
    return grpc.StatusCode.INTERNAL, "internal error"


_UNARY = frozenset(
    m.name
    for m in feed_service_pb2.DESCRIPTOR.services_by_name["FeedService"].methods
    if not m.server_streaming and not m.client_streaming
)
