"""Hydration: post ids to posts, from the Redis cache first and the store on a miss."""

from __future__ import annotations

from collections.abc import Sequence

from feed.domain import Post
from feed.post_cache import RedisPostCache
from feed.store.base import PostStore


class Hydrator:
    """Turns ids into live posts in at most one cache and one store round trip."""

    def __init__(self, cache: RedisPostCache, posts: PostStore) -> None:
        self._cache = cache
        self._posts = posts

    def hydrate(self, post_ids: Sequence[int]) -> dict[int, Post]:
        """The live posts among post_ids; deleted and unknown ids are absent."""
        found, deleted = self._cache.get_many(post_ids)
        misses = [i for i in post_ids if i not in found and i not in deleted]
        if misses:
            loaded = self._posts.get_posts(misses)
            found.update(loaded)
            self._cache.fill(list(loaded.values()), [i for i in misses if i not in loaded])
        return found
