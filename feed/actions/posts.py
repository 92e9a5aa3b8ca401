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
    """CreatePost and DeletePost: validate, rate limit, store with the event, tombstone the cache."""

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
        event = PostCreated(candidate.post_id, author, candidate.org_id, candidate.group_id)
        # The event is stored with the post, or neither is; a retry with the same key finds both.
        outbox = [self._sink.entry(event, f"post-created-{candidate.post_id}")]
        post, created = self._posts.create_post(candidate, key, outbox)
        if created:
            self._sink.recorded()
        log.info("post created", extra={"post_id": post.post_id, "author_id": author, "new": created})
        return post

    def delete(self, caller: Principal, author_id: int, post_id: int) -> None:
        """Delete the caller's own post: gone from the store and the cache, then from every timeline.

        Idempotent end to end: deleting a post already deleted (a retry after a timeout or a
        crash anywhere below) does every step again and answers as the first success."""
        author = require_id(author_id, "author_id")
        post_id = require_id(post_id, "post_id")
        caller = caller.acting_as(author, "author_id")
        self._limiter.take(author)
        found = self._posts.find_post(post_id)
        if found is None or found[0].org_id != caller.org_id:
            raise NotFound(f"post {post_id} not found")
        post = found[0]
        if post.author_id != author:
            raise PermissionDenied("only the author of a post may delete it")
        event = PostDeleted(post_id, author, post.org_id, post.group_id)
        self._posts.delete_post(post_id, [self._sink.entry(event, f"post-deleted-{post_id}")])
        self._sink.recorded()
        # Reads stop showing it now, not when the worker gets the event (it marks the cache too).
        self._cache.mark_deleted(post_id)
        log.info("post deleted", extra={"post_id": post_id, "author_id": author})
