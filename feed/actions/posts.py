"""Creating and deleting posts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from feed.access.groups import GroupAccess
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.actions.sink import EventSink
from feed.domain import Post
from feed.errors import NotFound, PermissionDenied
from feed.events import PostCreated, PostDeleted
from feed.ids import IdGenerator, require_id
from feed.redis.post_cache import PostCache
from feed.store.base import PostStore
from feed.validate import idempotency_key, post_text

log = logging.getLogger("feed.write")


class PostActions:
    """CreatePost and DeletePost: validate, rate limit, store, tombstone the cache, publish."""

    def __init__(
        self,
        posts: PostStore,
        groups: GroupAccess,
        cache: PostCache,
        limiter: RedisRateLimiter,
        sink: EventSink,
        ids: IdGenerator,
        clock: Callable[[], int],
        max_chars: int,
    ) -> None:
        self._posts = posts
        self._groups = groups
        self._cache = cache
        self._limiter = limiter
        self._sink = sink
        self._ids = ids
        self._clock = clock
        self._max_chars = max_chars

    def create(self, caller: Principal, author_id: int, text: str, key: str = "", group_id: int = 0) -> Post:
        """The post, new or (same idempotency key) the one made before; in group_id if set."""
        author = require_id(author_id, "author_id")
        text = post_text(text, self._max_chars)
        key = idempotency_key(key)
        caller = caller.acting_as(author, "author_id")
        group_id = require_id(group_id, "group_id") if group_id else 0
        if group_id:
            self._groups.postable(group_id, caller)
        self._limiter.take(author)
        candidate = Post(self._ids.next_id(), author, text, self._clock(), group_id, caller.org_id)
        post, created = self._posts.create_post(candidate, key)
        # A retry re-publishes under the same event id: the post was durable before.
        self._sink.emit(PostCreated(post.post_id, author, post.org_id, post.group_id), f"post-created-{post.post_id}")
        log.info("post created", extra={"post_id": post.post_id, "author_id": author, "new": created})
        return post

    def delete(self, caller: Principal, author_id: int, post_id: int) -> None:
        """Delete the caller's own post: gone from the store and the cache, then from every timeline."""
        author = require_id(author_id, "author_id")
        post_id = require_id(post_id, "post_id")
        caller = caller.acting_as(author, "author_id")
        self._limiter.take(author)
        post = self._posts.get_post(post_id)
        if post is None or post.org_id != caller.org_id:
            raise NotFound(f"post {post_id} not found")
        if post.author_id != author:
            raise PermissionDenied("only the author of a post may delete it")
        self._posts.delete_post(post_id)
        self._cache.mark_deleted(post_id)  # before the event: reads stop showing it at once
        self._sink.emit(PostDeleted(post_id, author, post.org_id, post.group_id), f"post-deleted-{post_id}")
        log.info("post deleted", extra={"post_id": post_id, "author_id": author})
