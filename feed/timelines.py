"""Home timelines in Redis: the paired verbs push/remove, merge, page and rebuild.

All list logic runs server side (feed/lua/feed.lua); this module only groups
work into few round trips: deliveries go out as one function call per up to
KEYS_PER_CALL timelines of one shard, all calls of a batch in one pipeline.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from feed.redis_conn import RedisFunctions
from feed.redis_keys import (
    CELEBRITIES_KEY,
    TIMELINE_SLACK,
    celebrity_posts_key,
    home_timeline_key,
    timeline_shard,
)

KEYS_PER_CALL = 1000  # bounds one function call's run time on the Redis server
REBUILD_MARK_TTL_S = 30  # a rebuild that crashed frees the timeline after this


@dataclasses.dataclass(frozen=True, slots=True)
class TimelinePage:
    """What a timeline read found: state, ids newest first, and whether more exist."""

    state: str  # "missing", "building" or "ready"
    ids: list[int]
    more: bool


_STATES = {0: "missing", 1: "building", 2: "ready"}


def _page(reply) -> TimelinePage:
    return TimelinePage(_STATES[int(reply[0])], [int(x) for x in reply[2:]], bool(int(reply[1])))


class RedisTimelineStore:
    """Home timelines as bounded Redis lists of post ids, newest first."""

    def __init__(self, functions: RedisFunctions, max_entries: int, ttl_s: int = 0) -> None:
        self._fn = functions
        self.max_entries = max_entries
        self.ttl_s = ttl_s

    def push(self, deliveries: Iterable[tuple[int, int]]) -> int:
        """Insert (user_id, post_id) pairs into materialized timelines; return how many landed.

        Timelines not in Redis are skipped: their owner's next read rebuilds them
        from the durable store, which already has the post.
        """
        by_shard: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for user_id, post_id in deliveries:
            by_shard[timeline_shard(user_id)].append((user_id, post_id))
        calls = []
        for pairs in by_shard.values():
            for start in range(0, len(pairs), KEYS_PER_CALL):
                chunk = pairs[start : start + KEYS_PER_CALL]
                keys = [home_timeline_key(user_id) for user_id, _ in chunk]
                calls.append(("tl_push", keys, [self.max_entries, TIMELINE_SLACK, *(p for _, p in chunk)]))
        return sum(self._fn.call_many(calls))

    def remove(self, user_ids: Iterable[int], post_ids: Sequence[int]) -> int:
        """Remove post_ids from the timelines of user_ids; return how many entries went."""
        if not post_ids:
            return 0
        by_shard: dict[int, list[str]] = defaultdict(list)
        for user_id in user_ids:
            by_shard[timeline_shard(user_id)].append(home_timeline_key(user_id))
        calls = []
        for keys in by_shard.values():
            for start in range(0, len(keys), KEYS_PER_CALL):
                calls.append(("tl_remove", keys[start : start + KEYS_PER_CALL], list(post_ids)))
        return sum(self._fn.call_many(calls))

    def merge(self, user_id: int, post_ids: Sequence[int]) -> bool:
        """Merge post_ids into one materialized timeline (a follow's backfill)."""
        if not post_ids:
            return False
        return bool(self._fn.call("tl_merge", [home_timeline_key(user_id)], [self.max_entries, *post_ids]))

    def page(self, user_id: int, before_id: int | None, count: int) -> TimelinePage:
        """Up to count ids older than before_id (newest when None); refreshes the TTL."""
        cursor = "" if before_id is None else str(before_id)
        reply = self._fn.call("tl_page", [home_timeline_key(user_id)], [cursor, count, self.max_entries, self.ttl_s])
        return TimelinePage(_STATES[int(reply[0])], [int(x) for x in reply[2:]], bool(int(reply[1])))

    def begin_rebuild(self, user_id: int) -> bool:
        """Claim a missing timeline for rebuilding; False if it exists or is claimed."""
        return bool(self._fn.call("tl_begin_rebuild", [home_timeline_key(user_id)], [REBUILD_MARK_TTL_S]))

    def finish_rebuild(self, user_id: int, post_ids: Sequence[int], complete: bool) -> int:
        """Install a rebuilt timeline, merged with whatever was pushed meanwhile."""
        args = [self.max_entries, self.ttl_s, 1 if complete else 0, *post_ids]
        return int(self._fn.call("tl_finish_rebuild", [home_timeline_key(user_id)], args))

    def drop(self, user_id: int) -> None:
        """Forget a timeline (tests and operators); the next read rebuilds it."""
        self._fn.client.delete(home_timeline_key(user_id))


class CelebrityPosts:
    """Posts of authors above the celebrity threshold, kept per author for fan-out on read.

    The set of such authors only grows: an author who falls back under the
    threshold is fanned out on write again, but posts made while above it live
    only here, so readers must keep merging this author's list.
    """

    def __init__(self, functions: RedisFunctions, max_entries: int) -> None:
        self._fn = functions
        self.max_entries = max_entries

    def push(self, posts: Sequence[tuple[int, int]]) -> int:
        """Register the authors, then add (author, post) pairs to their lists."""
        if not posts:
            return 0
        authors = sorted({author for author, _ in posts})
        self._fn.client.sadd(CELEBRITIES_KEY, *authors)
        self._fn.call_many([("tl_ensure", [celebrity_posts_key(a)], []) for a in authors])
        keys = [celebrity_posts_key(author) for author, _ in posts]
        return int(self._fn.call("tl_push", keys, [self.max_entries, TIMELINE_SLACK, *(p for _, p in posts)]))

    def remove(self, posts: Sequence[tuple[int, int]]) -> None:
        """Remove (author, post) pairs from the authors' lists, where they exist."""
        by_author: dict[int, list[int]] = defaultdict(list)
        for author, post_id in posts:
            by_author[author].append(post_id)
        self._fn.call_many([("tl_remove", [celebrity_posts_key(a)], ids) for a, ids in by_author.items()])

    def ids(self, author_id: int) -> set[int]:
        """The post ids in one author's list (empty for an author who never was a celebrity)."""
        return {int(x) for x in self._fn.client.lrange(celebrity_posts_key(author_id), 0, -1) if x not in (b"0", b"b")}

    def authors(self) -> set[int]:
        """Every author whose posts may be missing from followers' timelines."""
        return {int(x) for x in self._fn.client.smembers(CELEBRITIES_KEY)}

    def pages(self, authors: Sequence[int], before_id: int | None, count: int) -> list[TimelinePage]:
        """Up to count ids older than before_id from each author's list, in one round trip."""
        cursor = "" if before_id is None else str(before_id)
        calls = [("tl_page", [celebrity_posts_key(a)], [cursor, count, self.max_entries, 0]) for a in authors]
        return [_page(reply) for reply in self._fn.call_many(calls)]
