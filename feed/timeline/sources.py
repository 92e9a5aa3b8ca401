"""Read-time sources: posts of audiences above the fan-out threshold, kept per source for fan-out on read.

A source (feed.domain.Source) is an author, whose audience is their followers,
or a group, whose audience is its members. A source whose audience is larger
than the threshold (FEED_CELEBRITY_THRESHOLD) keeps its posts in a list of its
own that readers merge when they read. Each organization has its own registry
(a set) of such sources, so a reader only ever considers its own organization's.

The registry is bounded two ways. In size: at most max_sources per organization
(admit() refuses more; a refused source is fanned out on write, which costs the
worker more but loses nothing). In time: a source back under the threshold whose
list had no post for FEED_READ_TIME_RETENTION_S is retired (feed/fanout/retire.py):
its list is merged into its audience's home timelines first, then forgotten.

Every change of the members bumps the registry's version, so a reader knows
whether its copy is current from one small answer (feed/timeline/directory.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

import redis

from feed.domain import Source
from feed.lru import BoundedLru
from feed.redis.calls import Call, round_trip
from feed.redis.connection import RedisFunctions
from feed.redis.keys import (
    BUILDING_MARK,
    COMPLETE_MARK,
    TIMELINE_SLACK,
    read_time_sources_key,
    read_time_version_key,
    source_posts_key,
)
from feed.redis.packed_calls import PackedCalls
from feed.telemetry import metrics
from feed.timeline.directory import SourceDirectory
from feed.timeline.list_riders import ListsRider, PagePostsRider, PageRider, PagesRider
from feed.timeline.page import (
    GOES_ON_ARG,
    POST_KEY_PREFIX,
    WITH_POSTS,
    TimelinePage,
    parse_page,
    parse_page_with_posts,
    parse_pages_with_posts,
    window_of,
)

log = logging.getLogger(__name__)
DIRECTORIES_MAX = 10_000  # organizations whose directory copy a process keeps (least recently used dropped)
# Read-time sources an organization may have at once: bounds what the registry costs Redis and the
# fan-out worker (readers pay only for the sources they follow, whatever the size).
MAX_SOURCES = 10_000
UNBOUNDED = 0  # rt_register's bound that admits every member (a source already admitted, or one to restore)


MARKS = (COMPLETE_MARK, BUILDING_MARK)  # list sentinels, never post ids


@dataclasses.dataclass(frozen=True, slots=True)
class SourceList:
    """A source's list as read once: its ids newest first, and what tells whether it changed since."""

    ids: list[int]
    head: str  # the newest entry as stored ("" for a missing list)
    length: int  # entries, marks included


class ReadTimeSources(Protocol):
    """The lists of posts merged at read time: one bounded id list per source, plus each organization's
    registry of sources. RedisReadTimeSources is the backend; tests use an in-memory double."""

    max_entries: int

    def admit(self, sources: Iterable[Source], org_id: int = 0) -> set[Source]:
        """Register the sources the registry has room for; those registered now (before or just now)."""
        ...

    def push(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> int:
        """Register the sources (whatever the bound), then add (source, post) pairs to their lists; how many landed."""
        ...

    def remove(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> None:
        """Remove (source, post) pairs from the sources' lists, where they exist."""
        ...

    def listed(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> set[int]:
        """The posts among (source, post) pairs that are already in their registered source's list."""
        ...

    def registered(self, org_id: int = 0) -> set[Source]:
        """Every source of the organization whose posts may be missing from timelines."""
        ...

    def pages(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[TimelinePage]:
        """Up to count ids older than before_id from each source's list (or, given after_id, the count ids
        just above it), newest first."""
        ...

    def page_riders(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[ListsRider]:
        """What pages() would read, as riders of another round trip: once settled, their pages (each rider's
        list of them) are the sources' pages, in order."""
        ...

    def newest(self, sources: Sequence[Source], org_id: int = 0) -> dict[Source, int]:
        """The newest post id of each source's list (0 for an empty or missing list)."""
        ...

    def snapshot(self, source: Source, org_id: int = 0) -> SourceList:
        """The source's whole list, as it is now."""
        ...

    def forget(self, sources: Sequence[Source], org_id: int = 0) -> int:
        """Take sources out of the registry (their lists stay); how many were in it."""
        ...

    def retire(self, source: Source, seen: SourceList, org_id: int = 0) -> bool:
        """Delete a forgotten source's list if it is still as seen; False (and kept) if posts came since."""
        ...


class RedisReadTimeSources:
    """One bounded id list per read-time source in Redis, plus each organization's registry of them."""

    def __init__(self, functions: RedisFunctions, max_entries: int, max_sources: int = MAX_SOURCES) -> None:
        self._fn = functions
        self._packed = PackedCalls(functions)  # the read path's round trip (pages)
        # On a standalone Redis an older page's lists come in one call with their newest posts (tl_sources_posts);
        # a cluster keeps the lists and the post keys in many slots, where one call must not read them.
        self._standalone = isinstance(functions.client, redis.Redis)
        self.max_entries = max_entries
        self.max_sources = max_sources
        self._directories: BoundedLru[int, SourceDirectory] = BoundedLru(DIRECTORIES_MAX)

    def directory_of(self, org_id: int) -> SourceDirectory:
        """This process's copy of one organization's set of sources."""
        directory = self._directories.get(org_id)
        if directory is None:  # two threads may both make one: either copy serves
            directory = SourceDirectory(org_id=org_id)
            self._directories.put(org_id, directory)
        return directory

    def admit(self, sources: Iterable[Source], org_id: int = 0) -> set[Source]:
        """Register the sources the registry has room for (atomically: concurrent workers never overfill it)."""
        asked = sorted(sources)
        if not asked:
            return set()
        refused, admitted = self._register(asked, self.max_sources, org_id)
        if refused:
            registry_full(refused, self.max_sources, org_id)
        return admitted

    def _register(self, sources: Sequence[Source], bound: int, org_id: int) -> tuple[int, set[Source]]:
        keys = [read_time_sources_key(org_id), read_time_version_key(org_id)]
        reply = self._fn.call("rt_register", keys, [bound, *(s.to_member() for s in sources)])
        return int(reply[0]), {Source.from_member(x) for x in reply[1:]}

    def push(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> int:
        """Register the sources, then add (source, post) pairs to their lists (one call per source: one slot).

        Registering is unbounded here: the source was admitted when its batch was resolved, and
        should a retirement have forgotten it since, it must be merged again for this post."""
        if not posts:
            return 0
        by_source: dict[Source, list[int]] = defaultdict(list)
        for source, post_id in posts:
            by_source[source].append(post_id)
        self._register(sorted(by_source), UNBOUNDED, org_id)
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
        """The posts among (source, post) pairs that are already in their registered source's list.

        One round trip when none of the sources is read-time (the common
        case), one more for the lists of those that are.
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
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[TimelinePage]:
        """Up to count ids older than before_id from each source's list (or, given after_id, the count ids
        just above it), in one round trip (packed by hiredis on a standalone Redis: redis-py's pipeline
        cost a merging page about 60 us more of Python). On a standalone Redis the pages bring cached
        posts (TimelinePage.cached): an older window's, those of the newest count ids of their union; a
        newer window's, each list those of its own ids (tl_newer_posts)."""
        if self._with_posts(sources, after_id):
            (reply,) = self._packed.call_many([self._sources_call(sources, before_id, count, org_id)])
            return parse_pages_with_posts(reply)
        calls = self._page_calls(sources, before_id, count, org_id, after_id)
        parse = parse_page_with_posts if self._newer_with_posts(after_id) else parse_page
        return [parse(reply) for reply in self._packed.call_many(calls)]

    def page_riders(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[ListsRider]:
        """pages()' calls as riders of another round trip: a home page's first (feed/read/sources.py Prefetch).
        One PagesRider where pages() makes one call (a standalone Redis, an older window), else one per list
        (with its posts on a standalone Redis: a newer window)."""
        if self._with_posts(sources, after_id):
            return [PagesRider(self._sources_call(sources, before_id, count, org_id))]
        rider = PagePostsRider if self._newer_with_posts(after_id) else PageRider
        return [rider(call) for call in self._page_calls(sources, before_id, count, org_id, after_id)]

    def _with_posts(self, sources: Sequence[Source], after_id: int | None) -> bool:
        """Whether the lists are read in one call with the posts of their union's newest ids: a standalone
        Redis, an older window."""
        return self._standalone and after_id is None and bool(sources)

    def _newer_with_posts(self, after_id: int | None) -> bool:
        """Whether each list of a newer window is read with the posts of its ids (tl_newer_posts): a standalone
        Redis. A newer window takes the OLDEST ids of the union above the cursor, so the union's newest would
        not do; each list brings the posts of its own few ids (count plus what the walk skips), which a
        live stream's reads and prev_page_token pages then hydrate without a second round trip."""
        return self._standalone and after_id is not None

    def _sources_call(self, sources: Sequence[Source], before_id: int | None, count: int, org_id: int) -> Call:
        cursor = "" if before_id is None else str(before_id)
        args = [cursor, count, self.max_entries, 0, GOES_ON_ARG, POST_KEY_PREFIX]
        return ("tl_sources_posts", [source_posts_key(a, org_id) for a in sources], args)

    def _page_calls(
        self, sources: Sequence[Source], before_id: int | None, count: int, org_id: int, after_id: int | None
    ) -> list[Call]:
        name, cursor = window_of(before_id, after_id)
        args = [cursor, count, self.max_entries, 0, GOES_ON_ARG]
        if self._newer_with_posts(after_id):
            name, args = name + WITH_POSTS, [*args, POST_KEY_PREFIX]
        return [(name, [source_posts_key(a, org_id)], args) for a in sources]

    def newest(self, sources: Sequence[Source], org_id: int = 0) -> dict[Source, int]:
        """The newest post id of each source's list (0 for an empty or missing list), in one round trip."""
        pipe = self._fn.client.pipeline(transaction=False)
        for source in sources:
            pipe.lindex(source_posts_key(source, org_id), 0)
        with round_trip("read_time_newest"):
            heads = pipe.execute()
        return {s: 0 if h is None or h in MARKS else int(h) for s, h in zip(sources, heads, strict=True)}

    def snapshot(self, source: Source, org_id: int = 0) -> SourceList:
        """The source's whole list, as it is now."""
        with round_trip("read_time_snapshot"):
            entries = self._fn.client.lrange(source_posts_key(source, org_id), 0, -1)
        head = entries[0].decode() if entries else ""
        return SourceList([int(x) for x in entries if x not in MARKS], head, len(entries))

    def forget(self, sources: Sequence[Source], org_id: int = 0) -> int:
        """Take sources out of the registry (their lists stay); how many were in it."""
        if not sources:
            return 0
        keys = [read_time_sources_key(org_id), read_time_version_key(org_id)]
        return int(self._fn.call("rt_forget", keys, [s.to_member() for s in sources]))

    def retire(self, source: Source, seen: SourceList, org_id: int = 0) -> bool:
        """Delete a forgotten source's list if it is still as seen; False (and kept) if posts came since."""
        return bool(self._fn.call("tl_retire", [source_posts_key(source, org_id)], [seen.head, seen.length]))


def registry_full(refused: int, max_sources: int, org_id: int) -> None:
    """Count and log sources refused by a full registry: they are fanned out on write instead."""
    metrics.READ_TIME_SOURCES_REFUSED.inc(refused)
    log.warning(
        "read-time source registry full: %d sources fanned out on write instead",
        refused,
        extra={"org_id": org_id, "max_sources": max_sources},
    )
