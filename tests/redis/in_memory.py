"""InMemoryPostCache: the post cache without Redis, for unit tests of the read path.

It keeps what a reader and the write service can observe of RedisPostCache: fills
never replace a cached entry (SET NX), only a deletion writes a tombstone and it overwrites anything,
and every entry expires ttl_s after it was written, on the clock given. It passes
the same contract (tests/redis/test_post_cache_contract.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from feed.domain import Post

_TOMBSTONE = None  # an entry holding no post is a tombstone


class InMemoryPostCache:
    def __init__(self, ttl_s: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[int, tuple[Post | None, float]] = {}  # post id -> (post or tombstone, expiry)

    def get_many(
        self, post_ids: Sequence[int], read: Mapping[int, Any] | None = None
    ) -> tuple[dict[int, Post], set[int]]:
        """read: entries Redis gave with a page; they are Redis's, not this cache's, so they are not used."""
        found: dict[int, Post] = {}
        deleted: set[int] = set()
        for post_id in post_ids:
            entry = self._live(post_id)
            if entry is None:
                continue
            if entry[0] is _TOMBSTONE:
                deleted.add(post_id)
            else:
                found[post_id] = entry[0]
        return found, deleted

    def fill(self, posts: Sequence[Post]) -> None:
        for post in posts:
            if self._live(post.post_id) is None:
                self._entries[post.post_id] = (post, self._clock() + self._ttl_s)

    def mark_deleted(self, post_id: int) -> None:
        self._entries[post_id] = (_TOMBSTONE, self._clock() + self._ttl_s)

    def forget(self, post_id: int) -> None:
        self._entries.pop(post_id, None)

    def ttl_of(self, post_id: int) -> float:
        """Seconds until the entry expires (0 when there is none)."""
        entry = self._live(post_id)
        return 0.0 if entry is None else entry[1] - self._clock()

    def _live(self, post_id: int) -> tuple[Post | None, float] | None:
        entry = self._entries.get(post_id)
        if entry is not None and entry[1] <= self._clock():
            del self._entries[post_id]
            return None
        return entry
