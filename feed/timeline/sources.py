"""Read-time sources: posts of audiences above the fan-out threshold, kept per source for fan-out on read.

A source (feed.domain.Source) is an author, whose audience is their followers,
or a group, whose audience is its members. A source whose audience is larger
than the threshold (FEED_CELEBRITY_THRESHOLD) keeps its posts in a list of its
own that readers merge when they read. Each organization has its own set of
sources, so a reader only ever considers its own organization's.

The set of such sources only grows: an author who falls back under the
threshold is fanned out on write again, but posts made while above it live
only in their list, so readers must keep merging it. Because the set only
grows, its size tells a reader whether its copy is current: the read path asks
for the members only when the size changed (SourceDirectory).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from feed.domain import Source
from feed.lru import BoundedLru
from feed.redis.calls import round_trip
from feed.redis.connection import RedisFunctions
from feed.redis.keys import BUILDING_MARK, COMPLETE_MARK, TIMELINE_SLACK, read_time_sources_key, source_posts_key
from feed.timeline.page import TimelinePage, parse_page

DIRECTORY_MAX_AGE_S = 60.0  # refetch the members at least this often (heals a Redis that lost and regrew the set)
DIRECTORIES_MAX = 10_000  # organizations whose directory copy a process keeps (least recently used dropped)


MARKS = (COMPLETE_MARK, BUILDING_MARK)  # list sentinels, never post ids


class ReadTimeSources(Protocol):
    """The lists of posts merged at read time: one bounded id list per source, plus each organization's
    set of sources. RedisReadTimeSources is the backend; tests use an in-memory double."""

    max_entries: int

    def push(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> int:
        """Register the sources, then add (source, post) pairs to their lists; return how many landed."""
        ...

    def remove(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> None:
        """Remove (source, post) pairs from the sources' lists, where they exist."""
        ...

    def listed(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> set[int]:
        """The posts among (source, post) pairs that are already in their source's list."""
        ...

    def registered(self, org_id: int = 0) -> set[Source]:
        """Every source of the organization whose posts may be missing from timelines."""
        ...

    def pages(
        self, sources: Sequence[Source], before_id: int | None, count: int, org_id: int = 0
    ) -> list[TimelinePage]:
        """Up to count ids older than before_id from each source's list, newest first."""
        ...


class RedisReadTimeSources:
    """One bounded id list per read-time source in Redis, plus each organization's set of them."""

    def __init__(self, functions: RedisFunctions, max_entries: int) -> None:
        self._fn = functions
        self.max_entries = max_entries
        self._directories: BoundedLru[int, SourceDirectory] = BoundedLru(DIRECTORIES_MAX)

    def directory_of(self, org_id: int) -> SourceDirectory:
        """This process's copy of one organization's set of sources."""
        directory = self._directories.get(org_id)
        if directory is None:  # two threads may both make one: either copy serves
            directory = SourceDirectory(org_id=org_id)
            self._directories.put(org_id, directory)
        return directory

    def push(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> int:
        """Register the sources, then add (source, post) pairs to their lists (one call per source: one slot)."""
        if not posts:
            return 0
        by_source: dict[Source, list[int]] = defaultdict(list)
        for source, post_id in posts:
            by_source[source].append(post_id)
        with round_trip("read_time_register"):
            self._fn.client.sadd(read_time_sources_key(org_id), *sorted(s.to_member() for s in by_source))
        self._fn.call_many([("tl_ensure", [source_posts_key(a, org_id)], []) for a in by_source])
        calls = [
            ("tl_push", [source_posts_key(a, org_id)] * len(ids), [self.max_entries, TIMELINE_SLACK, *sorted(ids)])
            for a, ids in by_source.items()
        ]
        return sum(int(n) for n in self._fn.call_many(calls))

    def remove(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> None:
        """Remove (source, post) pairs from the sources' lists, where they exist."""
        by_source: dict[Source, list[int]] = defaultdict(list)
        for source, post_id in posts:
            by_source[source].append(post_id)
        self._fn.call_many([("tl_remove", [source_posts_key(a, org_id)], ids) for a, ids in by_source.items()])

    def listed(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> set[int]:
        """The posts among (source, post) pairs that are already in their source's list.

        One round trip when none of the sources was ever read-time (the common
        case), one more for the lists of those that were.
        """
        sources = sorted({source for source, _ in posts})
        if not sources:
            return set()
        with round_trip("read_time_listed"):
            answers = self._fn.client.smismember(read_time_sources_key(org_id), [s.to_member() for s in sources])
        registered = [a for a, yes in zip(sources, answers, strict=True) if yes]
        if not registered:
            return set()
        pipe = self._fn.client.pipeline(transaction=False)
        for source in registered:
            pipe.lrange(source_posts_key(source, org_id), 0, -1)
        with round_trip("read_time_listed"):
            replies = pipe.execute()
        listed = {int(x) for ids in replies for x in ids if x not in MARKS}
        return {post for _, post in posts if post in listed}

    def registered(self, org_id: int = 0) -> set[Source]:
        """Every source of the organization whose posts may be missing from timelines."""
        with round_trip("read_time_registered"):
            members = self._fn.client.smembers(read_time_sources_key(org_id))
        return {Source.from_member(x) for x in members}

    def pages(
        self, sources: Sequence[Source], before_id: int | None, count: int, org_id: int = 0
    ) -> list[TimelinePage]:
        """Up to count ids older than before_id from each source's list, in one round trip."""
        cursor = "" if before_id is None else str(before_id)
        calls = [("tl_page", [source_posts_key(a, org_id)], [cursor, count, self.max_entries, 0]) for a in sources]
        return [parse_page(reply) for reply in self._fn.call_many(calls)]


class SourceDirectory:
    """A process's copy of an organization's set of read-time sources, refreshed only when Redis
    says its size changed.

    call() is the function call to pipeline with a read's first round trip;
    absorb() takes its answer: the size alone while the copy is current, the
    members when it is not. Thread-safe: the read service serves calls in threads.
    """

    def __init__(self, clock=time.monotonic, org_id: int = 0) -> None:
        self._clock = clock
        self._key = read_time_sources_key(org_id)
        self._lock = threading.Lock()
        self._count = -1  # never fetched: the first answer carries the members
        self._members: frozenset[Source] = frozenset()
        self._fetched_at = 0.0

    def call(self) -> tuple[str, list[str], list[Any]]:
        with self._lock:
            known = -1 if self._stale() else self._count
        return ("tl_celebrities", [self._key], [known])

    def absorb(self, reply: list[Any]) -> frozenset[Source]:
        """The current members, from a tl_celebrities answer.

        Answers of concurrent reads can arrive out of order: a copy is replaced
        only by a larger set (the set only grows, so larger is newer), or by any
        set once the copy is too old (Redis may have lost the set and regrown it).
        """
        count = int(reply[0])
        with self._lock:
            carries_members = len(reply) > 1 or count == 0
            if carries_members and (count >= self._count or self._stale()):
                self._members = frozenset(Source.from_member(x) for x in reply[1:])
                self._count = count
                self._fetched_at = self._clock()
            return self._members

    def _stale(self) -> bool:
        return self._clock() - self._fetched_at > DIRECTORY_MAX_AGE_S
