"""Posts of authors above the celebrity threshold, kept per author for fan-out on read.

The set of such authors only grows: an author who falls back under the
threshold is fanned out on write again, but posts made while above it live
only in their list, so readers must keep merging it. Because the set only
grows, its size tells a reader whether its copy is current: the read path asks
for the members only when the size changed (CelebrityDirectory).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from feed.redis_conn import RedisFunctions
from feed.redis_keys import CELEBRITIES_KEY, TIMELINE_SLACK, celebrity_posts_key
from feed.timeline_page import TimelinePage, parse_page

DIRECTORY_MAX_AGE_S = 60.0  # refetch the members at least this often (heals a Redis that lost and regrew the set)


class CelebrityPosts:
    """One bounded id list per celebrity author, plus the set of every such author."""

    def __init__(self, functions: RedisFunctions, max_entries: int) -> None:
        self._fn = functions
        self.max_entries = max_entries
        self.directory = CelebrityDirectory()

    def push(self, posts: Sequence[tuple[int, int]]) -> int:
        """Register the authors, then add (author, post) pairs to their lists (one call per author: one slot)."""
        if not posts:
            return 0
        by_author: dict[int, list[int]] = defaultdict(list)
        for author, post_id in posts:
            by_author[author].append(post_id)
        self._fn.client.sadd(CELEBRITIES_KEY, *sorted(by_author))
        self._fn.call_many([("tl_ensure", [celebrity_posts_key(a)], []) for a in by_author])
        calls = [
            ("tl_push", [celebrity_posts_key(a)] * len(ids), [self.max_entries, TIMELINE_SLACK, *sorted(ids)])
            for a, ids in by_author.items()
        ]
        return sum(int(n) for n in self._fn.call_many(calls))

    def remove(self, posts: Sequence[tuple[int, int]]) -> None:
        """Remove (author, post) pairs from the authors' lists, where they exist."""
        by_author: dict[int, list[int]] = defaultdict(list)
        for author, post_id in posts:
            by_author[author].append(post_id)
        self._fn.call_many([("tl_remove", [celebrity_posts_key(a)], ids) for a, ids in by_author.items()])

    def listed(self, posts: Sequence[tuple[int, int]]) -> set[int]:
        """The posts among (author, post) pairs that are already in their author's list.

        One round trip when none of the authors was ever a celebrity (the common
        case), one more for the lists of those who were.
        """
        authors = sorted({author for author, _ in posts})
        if not authors:
            return set()
        answers = self._fn.client.smismember(CELEBRITIES_KEY, authors)
        registered = [a for a, yes in zip(authors, answers, strict=True) if yes]
        if not registered:
            return set()
        pipe = self._fn.client.pipeline(transaction=False)
        for author in registered:
            pipe.lrange(celebrity_posts_key(author), 0, -1)
        listed = {int(x) for ids in pipe.execute() for x in ids if x not in (b"0", b"b")}
        return {post for _, post in posts if post in listed}

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
        return [parse_page(reply) for reply in self._fn.call_many(calls)]


class CelebrityDirectory:
    """A process's copy of the celebrity set, refreshed only when Redis says its size changed.

    call() is the function call to pipeline with a read's first round trip;
    absorb() takes its answer: the size alone while the copy is current, the
    members when it is not. Thread-safe: the read service serves calls in threads.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._count = -1  # never fetched: the first answer carries the members
        self._members: frozenset[int] = frozenset()
        self._fetched_at = 0.0

    def call(self) -> tuple[str, list[str], list[Any]]:
        with self._lock:
            known = -1 if self._stale() else self._count
        return ("tl_celebrities", [CELEBRITIES_KEY], [known])

    def absorb(self, reply: list[Any]) -> frozenset[int]:
        """The current members, from a tl_celebrities answer.

        Answers of concurrent reads can arrive out of order: a copy is replaced
        only by a larger set (the set only grows, so larger is newer), or by any
        set once the copy is too old (Redis may have lost the set and regrown it).
        """
        count = int(reply[0])
        with self._lock:
            carries_members = len(reply) > 1 or count == 0
            if carries_members and (count >= self._count or self._stale()):
                self._members = frozenset(int(x) for x in reply[1:])
                self._count = count
                self._fetched_at = self._clock()
            return self._members

    def _stale(self) -> bool:
        return self._clock() - self._fetched_at > DIRECTORY_MAX_AGE_S
