"""The read service: FeedService, a thin edge over the readers in feed/read/.

Reads stay inside the caller's organization: the home timeline's keys carry it,
and a user or group of another one answers NOT_FOUND (feed/access/orgs.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import grpc

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter, read_limiter
from feed.config import Settings
from feed.errors import InvalidArgument
from feed.ids import is_future_id, now_ms, require_id
from feed.page_tokens import (
    NewerCursor,
    decode_home_token,
    decode_id_cursor,
    decode_older_cursor,
    encode_id_cursor,
    encode_newer_cursor,
    shown_after,
)
from feed.read.group import GroupTimelineReader
from feed.read.guard_cache import GuardCache
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.read.newer import after_older_page
from feed.read.page import FeedPage
from feed.read.user import UserTimelineReader
from feed.read.wire import SplicedPage, WirePosts
from feed.redis.connection import RedisFunctions, connect
from feed.shutdown import Stop
from feed.store import Store
from feed.store.markers import Marker, require_version
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc
from feed.validate import page_size
from services.auth import current_principal, require_actor
from services.edge import add_feed_servicer, rpc
from services.server import Wiring, run_service

log = logging.getLogger("feed.read")
PAGE_DEFAULT = 20
PAGE_MAX = 100
SERVICE_NAMES = ["feed.v1.FeedService"]


def _token(page: FeedPage, shown: tuple[int, ...] = ()) -> str:
    """The next older page's token; a home timeline's remembers the originals its pages showed as reposts."""
    if page.next_cursor is None:
        return ""
    return encode_id_cursor(page.next_cursor, shown_after(shown, [p.repost_of for p in page.posts if p.repost_of]))


def _marker_to_proto(marker: Marker | None) -> feed_service_pb2.ReadMarker:
    """The marker on the wire; no marker is the empty one (post_id 0, version 0)."""
    msg = feed_service_pb2.ReadMarker()
    if marker is not None:
        msg.post_id, msg.version = marker.post_id, marker.version
        msg.update_time.FromMilliseconds(marker.update_time_ms)
    return msg


class FeedServicer(feed_service_pb2_grpc.FeedServiceServicer):
    """Home, user and group timelines and read markers; each call spends one of the caller's
    read budget first, a marker's set one of their write budget."""

    def __init__(
        self,
        home: HomeTimelineReader,
        users: UserTimelineReader,
        store: Store,
        orgs: OrgDirectory,
        limiter: RedisRateLimiter,
        writes: RedisRateLimiter,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._limiter = limiter
        self._writes = writes
        self._clock = clock
        self._markers = store.markers
        self._home = home
        self._users = users
        self._orgs = orgs
        self._groups = GroupTimelineReader(store)
        self._access = GroupAccess(store.orgs)
        self.stream_addr = ""  # where WatchHomeTimeline is served, for the message here
        self._pages = WirePosts()  # pages answer as bytes: see add_feed_servicer (services/edge.py)

    @rpc
    def GetHomeTimeline(self, request, context) -> SplicedPage:
        """A GetHomeTimelineResponse, as its bytes (feed/read/wire.py)."""
        user = require_id(request.user_id, "user_id")
        size = page_size(request.page_size, PAGE_DEFAULT, PAGE_MAX)
        caller = require_actor(user, "user_id")  # a home timeline is private to its owner
        cursor = decode_home_token(request.page_token)  # a next_page_token (older) or a prev_page_token (newer)
        # The read budget rides in the page's first Redis round trip: no round trip of its own.
        budget = self._limiter.budget(caller.user_id)
        if isinstance(cursor, NewerCursor):
            newer = self._home.read_newer(user, cursor, size, caller.org_id, budget)
            return self._pages.page(
                newer.posts,
                encode_id_cursor(newer.older_than, newer.newer.shown),
                encode_newer_cursor(newer.newer),
            )
        # The originals earlier pages of this walk showed through reposts (docs/reposts.md); none on a first page.
        shown = decode_older_cursor(request.page_token)[1] if request.page_token else ()
        page = self._home.read(user, cursor, size, caller.org_id, budget, shown)
        return self._pages.page(
            page.posts, _token(page, shown), encode_newer_cursor(after_older_page(page, cursor, self._clock()))
        )

    @rpc
    def GetUserTimeline(self, request, context) -> SplicedPage | feed_service_pb2.GetUserTimelineResponse:
        """A GetUserTimelineResponse, as its bytes (feed/read/wire.py)."""
        user = require_id(request.user_id, "user_id")
        size = page_size(request.page_size, PAGE_DEFAULT, PAGE_MAX)
        caller = current_principal()
        self._limiter.take(caller.user_id)
        cursor = decode_id_cursor(request.page_token)
        if not self._orgs.require_user(user, caller):  # the default organization: an id with no posts here
            return feed_service_pb2.GetUserTimelineResponse()
        page = self._users.read(user, caller.user_id, cursor, size)
        return self._pages.page(page.posts, _token(page), remember=False)  # store posts: new objects every page

    @rpc
    def GetGroupTimeline(self, request, context) -> SplicedPage:
        """A GetGroupTimelineResponse, as its bytes (feed/read/wire.py)."""
        group_id = require_id(request.group_id, "group_id")
        user = require_id(request.user_id, "user_id")
        size = page_size(request.page_size, PAGE_DEFAULT, PAGE_MAX)
        caller = require_actor(user, "user_id")
        self._limiter.take(caller.user_id)
        self._access.visible(group_id, caller)
        page = self._groups.read(group_id, user, decode_id_cursor(request.page_token), size)
        return self._pages.page(page.posts, _token(page), remember=False)

    @rpc
    def SetReadMarker(self, request, context) -> feed_service_pb2.ReadMarker:
        """Move the caller's marker by compare-and-set on its version (a stale one: ABORTED).

        The post is checked for shape and time only (an id, not from the future), not for
        whether the caller may see it: a marker is the caller's own bookmark, read back by
        them alone, so it discloses nothing."""
        user = require_id(request.user_id, "user_id")
        post_id = require_id(request.post_id, "post_id")
        version = require_version(request.version)
        now = self._clock()
        if is_future_id(post_id, now):
            raise InvalidArgument("post_id is not an id of a post made yet")
        caller = require_actor(user, "user_id")  # a marker is private to its owner
        self._writes.take(caller.user_id)
        return _marker_to_proto(self._markers.set_marker(user, post_id, version, now))

    def WatchHomeTimeline(self, request, context) -> None:
        """Streams are served by the read process's aio server, not this one (services/stream_server.py)."""
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED, f"WatchHomeTimeline is served at FEED_STREAM_ADDR ({self.stream_addr})"
        )

    @rpc
    def GetReadMarker(self, request, context) -> feed_service_pb2.ReadMarker:
        """The caller's marker; the empty one (version 0) if they never set one."""
        user = require_id(request.user_id, "user_id")
        caller = require_actor(user, "user_id")
        self._limiter.take(caller.user_id)
        return _marker_to_proto(self._markers.get_marker(user))


def main(settings: Settings, stop: Stop, inner: Sequence[grpc.ServerInterceptor] = ()) -> int:
    """Entry point of `feed serve read`."""
    return run_service(
        settings,
        stop,
        role="read",
        addr=settings.read_addr,
        service_names=SERVICE_NAMES,
        kafka=False,
        wire=_wire(settings),
        inner=inner,
    )


def _wire(settings: Settings):
    def wire(store: Store) -> Wiring:
        from feed.redis.post_cache import RedisPostCache

        client = connect(settings.redis_url)
        functions = RedisFunctions(client)
        timelines = RedisTimelineStore(functions, settings.timeline_max, settings.timeline_ttl_s)
        read_time = RedisReadTimeSources(functions, settings.timeline_max)
        hydrator = Hydrator(RedisPostCache(client, settings.post_cache_ttl_s), store.posts, store.reposts)
        home = HomeTimelineReader(store, timelines, read_time, hydrator, guards=GuardCache())
        orgs = OrgDirectory(store.orgs)
        limiter = read_limiter(client, settings.read_rate_per_s, settings.read_burst)
        # shares the write service's buckets: a user's marker sets and posts draw on one budget
        writes = RedisRateLimiter(client, settings.write_rate_per_s, settings.write_burst)
        servicer = FeedServicer(home, UserTimelineReader(store), store, orgs, limiter, writes)
        servicer.stream_addr = settings.stream_addr
        register = [lambda s: add_feed_servicer(servicer, s)]
        return Wiring(register, orgs.bind, extra=_stream_server(settings, servicer, home, store, orgs, limiter))

    return wire


def _stream_server(settings: Settings, servicer: FeedServicer, home: HomeTimelineReader, store: Store, orgs, limiter):
    """The factory of the process's stream server (services/stream_server.py), sharing the servicer."""
    from feed.stream.hub import StreamHub
    from feed.stream.reads import HomeNewerReads
    from services.auth import AuthInterceptor
    from services.interceptors import ObservabilityInterceptor
    from services.stream_server import StreamServer
    from services.stream_service import StreamingFeedServicer

    def build(keys, inner):
        hub = StreamHub(settings.stream_max)
        reads = HomeNewerReads(home, store.reposts)
        interceptors = [
            ObservabilityInterceptor(SERVICE_NAMES),
            AuthInterceptor(keys, SERVICE_NAMES, orgs.bind),
            *inner,
        ]
        return StreamServer(
            settings.stream_addr,
            lambda pool: StreamingFeedServicer(servicer, hub, reads, store, keys, pool, limiter, orgs.bind),
            hub,
            settings.redis_url,
            SERVICE_NAMES,
            interceptors,
            settings.rpc_threads,
        )

    return build
