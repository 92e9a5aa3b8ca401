"""The Redis post cache with each round trip timed, as a drop-in subclass.

A wrapper rather than timing inside RedisPostCache, so the cache stays about
caching; every process builds this one instead (services' main functions).
"""

from __future__ import annotations

from collections.abc import Sequence

from feed.domain import Post
from feed.redis.connection import redis_timer
from feed.redis.post_cache import RedisPostCache


class TimedRedisPostCache(RedisPostCache):
    """RedisPostCache whose Redis calls land in feed_redis_operation_duration_seconds."""

    def get_many(self, post_ids: Sequence[int]) -> tuple[dict[int, Post], set[int]]:
        if not post_ids:
            return super().get_many(post_ids)  # no round trip: nothing to time
        with redis_timer("post_cache_get"):
            return super().get_many(post_ids)

    def fill(self, posts: Sequence[Post], missing: Sequence[int] = ()) -> None:
        if not posts and not missing:
            return
        with redis_timer("post_cache_fill"):
            super().fill(posts, missing)

    def mark_deleted(self, post_id: int) -> None:
        with redis_timer("post_cache_mark_deleted"):
            super().mark_deleted(post_id)
