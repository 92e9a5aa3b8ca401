"""The write service: PostService, GraphService and GroupService.

Order of effects for every write: validate, change the durable store, then
publish the event. A publish that fails fails the call (UNAVAILABLE); the
store change stays, and a retry (CreatePost with the same idempotency key,
or the same Follow/Unfollow/DeletePost) publishes again. Workers apply events
idempotently, so a re-published event does no harm.

Every call acts inside the caller's organization (feed/access/orgs.py): a user, post
or group of another one answers NOT_FOUND, as one that does not exist.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import grpc
from google.protobuf import empty_pb2

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.config import Settings
from feed.domain import Post
from feed.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from feed.events import Followed, PostCreated, PostDeleted, Unfollowed, new_envelope
from feed.ids import IdGenerator, now_ms, require_id
from feed.messaging.publisher import EventPublisher, KafkaEventPublisher
from feed.messaging.topics import ensure_topic
from feed.page_tokens import unwrap_store_token, wrap_store_token
from feed.read.hydrate import Hydrator
from feed.redis.connection import connect
from feed.redis.post_cache import RedisPostCache
from feed.store import Store
from feed.v1 import graph_service_pb2, graph_service_pb2_grpc, group_service_pb2_grpc, post_pb2, post_service_pb2_grpc
from feed.validate import idempotency_key, page_size, post_text
from services.auth import current_principal, require_actor
from services.edge import post_to_proto, rpc
from services.group_service import GroupServicer
from services.server import Wiring, run_service

log = logging.getLogger("feed.write")
LIST_PAGE_DEFAULT = 50
LIST_PAGE_MAX = 1000
SERVICE_NAMES = ["feed.v1.PostService", "feed.v1.GraphService", "feed.v1.GroupService"]


class PostServicer(post_service_pb2_grpc.PostServiceServicer):
    """Creates, deletes and reads single posts."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        cache: RedisPostCache,
        publisher: EventPublisher,
        limiter: RedisRateLimiter,
        orgs: OrgDirectory,
    ) -> None:
        self._settings = settings
        self._limiter = limiter
        self._orgs = orgs
        self._groups = GroupAccess(store.orgs)
        self._store = store
        self._cache = cache
        self._hydrator = Hydrator(cache, store.posts)
        self._publisher = publisher
        self._ids = IdGenerator()

    @rpc
    def CreatePost(self, request, context) -> post_pb2.Post:
        author = require_id(request.author_id, "author_id")
        text = post_text(request.text, self._settings.post_max_chars)
        key = idempotency_key(request.idempotency_key)
        caller = require_actor(author, "author_id")
        group_id = require_id(request.group_id, "group_id") if request.group_id else 0
        if group_id:
            self._groups.postable(group_id, caller)
        self._limiter.take(author)
        candidate = Post(self._ids.next_id(), author, text, now_ms(), group_id, caller.org_id)
        post, created = self._store.posts.create_post(candidate, key)
        # A retry re-publishes under the same event id: the post was durable before.
        event = PostCreated(post.post_id, author, post.org_id, post.group_id)
        self._publisher.publish(new_envelope(event, now_ms(), f"post-created-{post.post_id}"))
        log.info("post created", extra={"post_id": post.post_id, "author_id": author, "new": created})
        return post_to_proto(post)

    @rpc
    def DeletePost(self, request, context) -> empty_pb2.Empty:
        author = require_id(request.author_id, "author_id")
        post_id = require_id(request.post_id, "post_id")
        caller = require_actor(author, "author_id")
        self._limiter.take(author)
        post = self._store.posts.get_post(post_id)
        if post is None or post.org_id != caller.org_id:
            raise NotFound(f"post {post_id} not found")
        if post.author_id != author:
            raise PermissionDenied("only the author of a post may delete it")
        self._store.posts.delete_post(post_id)
        self._cache.mark_deleted(post_id)  # before the event: reads stop showing it at once
        event = PostDeleted(post_id, author, post.org_id, post.group_id)
        self._publisher.publish(new_envelope(event, now_ms(), f"post-deleted-{post_id}"))
        log.info("post deleted", extra={"post_id": post_id, "author_id": author})
        return empty_pb2.Empty()

    @rpc
    def GetPost(self, request, context) -> post_pb2.Post:
        post_id = require_id(request.post_id, "post_id")
        caller = current_principal()
        post = self._hydrator.hydrate([post_id]).get(post_id)
        if post is None or post.org_id != caller.org_id:
            raise NotFound(f"post {post_id} not found")
        if post.group_id:
            try:
                self._groups.visible(post.group_id, caller)
            except NotFound:
                raise NotFound(f"post {post_id} not found") from None
        if self._store.graph.is_blocked(post.author_id, caller.user_id):
            raise PermissionDenied("the author of this post has blocked you")
        return post_to_proto(post)


class GraphServicer(graph_service_pb2_grpc.GraphServiceServicer):
    """Follow edges and their lists."""

    def __init__(self, store: Store, publisher: EventPublisher, limiter: RedisRateLimiter, orgs: OrgDirectory) -> None:
        self._store = store
        self._publisher = publisher
        self._limiter = limiter
        self._orgs = orgs

    def _edge(self, request, bind_unknown: bool = False) -> tuple[int, int, int]:
        """The (follower, followee, org) of a request made by the follower, within the rate limit."""
        follower, followee = self._pair(request.follower_id, request.followee_id, "follower_id", "followee_id")
        caller = require_actor(follower, "follower_id")
        self._orgs.require_user(followee, caller, bind_unknown)
        self._limiter.take(follower)
        return follower, followee, caller.org_id

    def _block_pair(self, request, bind_unknown: bool = False) -> tuple[int, int]:
        """The (blocker, blocked) of a request made by the blocker, within the rate limit."""
        blocker, blocked = self._pair(request.blocker_id, request.blocked_id, "blocker_id", "blocked_id")
        caller = require_actor(blocker, "blocker_id")
        self._orgs.require_user(blocked, caller, bind_unknown)
        self._limiter.take(blocker)
        return blocker, blocked

    @staticmethod
    def _pair(a: int, b: int, a_name: str, b_name: str) -> tuple[int, int]:
        first, second = require_id(a, a_name), require_id(b, b_name)
        if first == second:
            raise InvalidArgument(f"{a_name} and {b_name} must be different users")
        return first, second

    @rpc
    def Follow(self, request, context) -> empty_pb2.Empty:
        follower, followee, org = self._edge(request, bind_unknown=True)
        self._refuse_if_blocked(follower, followee)
        self._store.graph.follow(follower, followee)
        # A block may have landed between the check and the write: look again, and undo.
        if self._blocked_either_way(follower, followee):
            self._store.graph.unfollow(follower, followee)
            self._publisher.publish(new_envelope(Unfollowed(follower, followee, org), now_ms()))
            self._refuse_if_blocked(follower, followee)
        self._publisher.publish(new_envelope(Followed(follower, followee, org), now_ms()))
        return empty_pb2.Empty()

    @rpc
    def Unfollow(self, request, context) -> empty_pb2.Empty:
        follower, followee, org = self._edge(request)
        self._store.graph.unfollow(follower, followee)
        self._publisher.publish(new_envelope(Unfollowed(follower, followee, org), now_ms()))
        return empty_pb2.Empty()

    @rpc
    def Block(self, request, context) -> empty_pb2.Empty:
        blocker, blocked = self._block_pair(request, bind_unknown=True)
        org = current_principal().org_id
        # Record the block first: a Follow racing this one re-checks after its write.
        self._store.graph.block(blocker, blocked)
        for follower, followee in ((blocker, blocked), (blocked, blocker)):
            self._store.graph.unfollow(follower, followee)
            self._publisher.publish(new_envelope(Unfollowed(follower, followee, org), now_ms()))
        return empty_pb2.Empty()

    @rpc
    def Unblock(self, request, context) -> empty_pb2.Empty:
        blocker, blocked = self._block_pair(request)
        self._store.graph.unblock(blocker, blocked)  # follows removed by the block stay removed
        return empty_pb2.Empty()

    def _blocked_either_way(self, a: int, b: int) -> bool:
        return self._store.graph.is_blocked(a, b) or self._store.graph.is_blocked(b, a)

    def _refuse_if_blocked(self, follower: int, followee: int) -> None:
        if self._store.graph.is_blocked(followee, follower):
            raise FailedPrecondition("this user has blocked you; you cannot follow them")
        if self._store.graph.is_blocked(follower, followee):
            raise FailedPrecondition("you have blocked this user; unblock them before following")

    @rpc
    def ListFollowers(self, request, context) -> graph_service_pb2.ListFollowersResponse:
        user = require_id(request.user_id, "user_id")
        size = page_size(request.page_size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._orgs.require_user(user, current_principal())
        page = self._store.graph.list_followers(user, size, unwrap_store_token(request.page_token))
        return graph_service_pb2.ListFollowersResponse(
            follower_ids=page.ids, next_page_token=wrap_store_token(page.next_token)
        )

    @rpc
    def ListFollowing(self, request, context) -> graph_service_pb2.ListFollowingResponse:
        user = require_id(request.user_id, "user_id")
        size = page_size(request.page_size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._orgs.require_user(user, current_principal())
        page = self._store.graph.list_following(user, size, unwrap_store_token(request.page_token))
        return graph_service_pb2.ListFollowingResponse(
            followee_ids=page.ids, next_page_token=wrap_store_token(page.next_token)
        )


def main(settings: Settings, stop: threading.Event, inner: Sequence[grpc.ServerInterceptor] = ()) -> int:
    """Entry point of `feed serve write`."""
    ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    return run_service(
        settings,
        stop,
        role="write",
        addr=settings.write_addr,
        service_names=SERVICE_NAMES,
        kafka=True,
        wire=_wire(settings),
        inner=inner,
    )


def _wire(settings: Settings):
    def wire(store: Store) -> Wiring:
        client = connect(settings.redis_url)
        cache = RedisPostCache(client, settings.post_cache_ttl_s)
        limiter = RedisRateLimiter(client, settings.write_rate_per_s, settings.write_burst)
        publisher = KafkaEventPublisher(settings.kafka_bootstrap, settings.events_topic, settings.kafka_timeout_s)
        orgs = OrgDirectory(store.orgs)
        posts = PostServicer(settings, store, cache, publisher, limiter, orgs)
        graph = GraphServicer(store, publisher, limiter, orgs)
        groups = GroupServicer(store, publisher, limiter, orgs)
        register = [
            lambda s: post_service_pb2_grpc.add_PostServiceServicer_to_server(posts, s),
            lambda s: graph_service_pb2_grpc.add_GraphServiceServicer_to_server(graph, s),
            lambda s: group_service_pb2_grpc.add_GroupServiceServicer_to_server(groups, s),
        ]
        return Wiring(register, orgs.bind, [publisher.close])

    return wire
