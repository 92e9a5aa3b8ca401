"""Hydration: post ids to posts, from the Redis cache first and the store on a miss.

Ids the store does not have are not cached (feed/redis/post_cache.py says why):
they cost a store lookup each time, which the per-user read limit bounds.

Counts cache hits and misses (feed_post_cache_lookups_total): the hit ratio says
whether the cache TTL and Redis memory are sized for the read traffic.
"""

from __future__ import annotations

from collections.abc import Sequence

from feed.domain import Post
from feed.redis.post_cache import PostCache
from feed.store.base import PostStore
from feed.telemetry import metrics

# Bound once: looking a labelled child up on every read costs more than the increment.
_HITS = metrics.POST_CACHE_LOOKUPS.labels("hit")
_MISSES = metrics.POST_CACHE_LOOKUPS.labels("miss")


class Hydrator:
    """Turns ids into live posts in at most one cache and one store round trip."""

    def __init__(self, cache: PostCache, posts: PostStore) -> None:
        self._cache = cache
        self._posts = posts

    def hydrate(self, post_ids: Sequence[int]) -> dict[int, Post]:
        """The live posts among post_ids; deleted and unknown ids are absent."""
        found, deleted = self._cache.get_many(post_ids)
        misses = [i for i in post_ids if i not in found and i not in deleted]
        _HITS.inc(len(post_ids) - len(misses))  # tombstones are hits too
        if misses:
            _MISSES.inc(len(misses))
            loaded = self._posts.get_posts(misses)
            found.update(loaded)
            self._cache.fill(list(loaded.values()))
        return found
