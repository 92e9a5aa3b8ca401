"""The write service: PostService, GraphService, GroupService and FilterService.

The write rules live in feed.actions (validate, check, rate limit, then store
the change with its events in the outbox) and the other reads in feed.read.lookups; these servicers only turn a
request into the caller's Principal and plain values, call the use case, and
turn its answer into protobuf. services.edge.rpc maps domain errors to statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc
from google.protobuf import empty_pb2

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter, read_limiter
from feed.access.versions import RedisRelationshipVersions, RelationshipVersions
from feed.actions.graph import GraphActions
from feed.actions.groups import GroupActions
from feed.actions.posts import PostActions
from feed.actions.quiet import QuietActions
from feed.actions.reposts import RepostActions
from feed.actions.sink import Bell, EventSink
from feed.config import Settings
from feed.ids import IdGenerator, now_ms
from feed.outbox.doorbell import Doorbell
from feed.read.hydrate import Hydrator
from feed.read.lookups import Lookups
from feed.redis.connection import RedisFunctions, connect
from feed.redis.post_cache import RedisPostCache
from feed.shutdown import Stop
from feed.store import Store
from feed.v1 import (
    filter_service_pb2_grpc,
    graph_service_pb2,
    graph_service_pb2_grpc,
    group_service_pb2_grpc,
    post_pb2,
    post_service_pb2_grpc,
)
from services.auth import current_principal
from services.edge import post_to_proto, rpc
from services.filter_service import FilterServicer
from services.group_service import GroupServicer
from services.server import Wiring, run_service

SERVICE_NAMES = ["feed.v1.PostService", "feed.v1.GraphService", "feed.v1.GroupService", "feed.v1.FilterService"]


class PostServicer(post_service_pb2_grpc.PostServiceServicer):
    """Creates, deletes, reposts and reads single posts."""

    def __init__(self, posts: PostActions, lookups: Lookups, reposts: RepostActions) -> None:
        self._posts = posts
        self._lookups = lookups
        self._reposts = reposts

    @rpc
    def CreatePost(self, request, context) -> post_pb2.Post:
        caller = current_principal()
        post = self._posts.create(caller, request.author_id, request.text, request.idempotency_key, request.group_id)
        return post_to_proto(post)

    @rpc
    def DeletePost(self, request, context) -> empty_pb2.Empty:
        self._posts.delete(current_principal(), request.author_id, request.post_id)
        return empty_pb2.Empty()

    @rpc
    def GetPost(self, request, context) -> post_pb2.Post:
        return post_to_proto(self._lookups.post(current_principal(), request.post_id))

    @rpc
    def Repost(self, request, context) -> post_pb2.Post:
        return post_to_proto(self._reposts.repost(current_principal(), request.user_id, request.post_id))

    @rpc
    def Unrepost(self, request, context) -> empty_pb2.Empty:
        self._reposts.unrepost(current_principal(), request.user_id, request.post_id)
        return empty_pb2.Empty()


class GraphServicer(graph_service_pb2_grpc.GraphServiceServicer):
    """Follow edges, blocks, mutes and their lists."""

    def __init__(self, graph: GraphActions, lookups: Lookups, quiet: QuietActions) -> None:
        self._graph = graph
        self._lookups = lookups
        self._quiet = quiet

    @rpc
    def Follow(self, request, context) -> empty_pb2.Empty:
        self._graph.follow(current_principal(), request.follower_id, request.followee_id)
        return empty_pb2.Empty()

    @rpc
    def Unfollow(self, request, context) -> empty_pb2.Empty:
        self._graph.unfollow(current_principal(), request.follower_id, request.followee_id)
        return empty_pb2.Empty()

    @rpc
    def Block(self, request, context) -> empty_pb2.Empty:
        self._graph.block(current_principal(), request.blocker_id, request.blocked_id)
        return empty_pb2.Empty()

    @rpc
    def Unblock(self, request, context) -> empty_pb2.Empty:
        self._graph.unblock(current_principal(), request.blocker_id, request.blocked_id)
        return empty_pb2.Empty()

    @rpc
    def ListFollowers(self, request, context) -> graph_service_pb2.ListFollowersResponse:
        page = self._lookups.followers(current_principal(), request.user_id, request.page_size, request.page_token)
        return graph_service_pb2.ListFollowersResponse(follower_ids=page.ids, next_page_token=page.next_token)

    @rpc
    def ListFollowing(self, request, context) -> graph_service_pb2.ListFollowingResponse:
        page = self._lookups.following(current_principal(), request.user_id, request.page_size, request.page_token)
        return graph_service_pb2.ListFollowingResponse(followee_ids=page.ids, next_page_token=page.next_token)

    @rpc
    def Mute(self, request, context) -> empty_pb2.Empty:
        self._quiet.mute(current_principal(), request.muter_id, request.muted_id, request.duration_s)
        return empty_pb2.Empty()

    @rpc
    def Unmute(self, request, context) -> empty_pb2.Empty:
        self._quiet.unmute(current_principal(), request.muter_id, request.muted_id)
        return empty_pb2.Empty()

    @rpc
    def ListMutes(self, request, context) -> graph_service_pb2.ListMutesResponse:
        page = self._quiet.list_mutes(current_principal(), request.user_id, request.page_size, request.page_token)
        response = graph_service_pb2.ListMutesResponse(next_page_token=page.next_token or "")
        for mute in page.mutes:
            msg = response.mutes.add(user_id=mute.muted_id)
            if mute.expire_ms is not None:
                msg.expire_time.FromMilliseconds(mute.expire_ms)
        return response


def main(settings: Settings, stop: Stop, inner: Sequence[grpc.ServerInterceptor] = ()) -> int:
    """Entry point of `feed serve write`. It needs no broker: events go to the store's outbox."""
    return run_service(
        settings,
        stop,
        role="write",
        addr=settings.write_addr,
        service_names=SERVICE_NAMES,
        kafka=False,
        wire=_wire(settings),
        inner=inner,
    )


def _wire(settings: Settings) -> Callable[[Store], Wiring]:
    def wire(store: Store) -> Wiring:
        client = connect(settings.redis_url)
        cache = RedisPostCache(client, settings.post_cache_ttl_s)
        limiter = RedisRateLimiter(client, settings.write_rate_per_s, settings.write_burst)
        reads = read_limiter(client, settings.read_rate_per_s, settings.read_burst)
        versions = RedisRelationshipVersions(RedisFunctions(client))
        return wire_servicers(settings, store, cache, limiter, reads, bell=Doorbell(client), versions=versions)

    return wire


def wire_servicers(
    settings: Settings,
    store: Store,
    cache: RedisPostCache,
    limiter: RedisRateLimiter,
    reads: RedisRateLimiter,
    clock: Callable[[], int] = now_ms,
    bell: Bell | None = None,
    *,
    versions: RelationshipVersions,
) -> Wiring:
    """The four servicers over their use cases, from the service's connections; writes spend
    the limiter's budget, reads (GetPost, the lists) that of reads."""
    orgs = OrgDirectory(store.orgs)
    access = GroupAccess(store.orgs)
    sink = EventSink(clock, bell)
    ids = IdGenerator()
    lookups = Lookups(store, Hydrator(cache, store.posts, store.reposts), orgs, access, reads)
    reposts = RepostActions(store.reposts, lookups.shareable, cache, limiter, sink, ids, clock)
    posts = PostServicer(
        PostActions(store.posts, access, cache, limiter, sink, ids, clock, settings.post_max_chars), lookups, reposts
    )
    quiet = QuietActions(store.quiet, orgs, limiter, versions, ids, clock)
    graph = GraphServicer(GraphActions(store.graph, orgs, limiter, sink, versions), lookups, quiet)
    group_actions = GroupActions(
        store.orgs, store.graph, access, orgs, limiter, sink, ids, clock, settings.group_invite_ttl_s, versions=versions
    )
    groups = GroupServicer(group_actions, lookups)
    register = [
        lambda s: post_service_pb2_grpc.add_PostServiceServicer_to_server(posts, s),
        lambda s: graph_service_pb2_grpc.add_GraphServiceServicer_to_server(graph, s),
        lambda s: group_service_pb2_grpc.add_GroupServiceServicer_to_server(groups, s),
        lambda s: filter_service_pb2_grpc.add_FilterServiceServicer_to_server(FilterServicer(quiet), s),
    ]
    return Wiring(register, orgs.bind, [])
