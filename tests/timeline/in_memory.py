"""InMemoryTimelineStore and InMemoryReadTimeSources: the timeline stores without Redis, for unit tests of
fan-out and read logic.

It keeps what readers can observe of the Redis lists (feed/redis/lua/feed.lua):
ids newest first, unique, bounded to max_entries (grown up to TIMELINE_SLACK
past it before a trim), and the list's end: "complete" (the whole timeline),
"building" (a rebuild is in progress) or truncated (the newest prefix of a
longer timeline). It passes the same contract as RedisTimelineStore
(tests/timeline/contract.py); TTLs are not modelled, nothing expires.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from feed.domain import Source
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key
from feed.timeline.audience import Audience
from feed.timeline.page import TimelinePage
from feed.timeline.sources import MAX_SOURCES, SourceList

TRUNCATED, COMPLETE, BUILDING = "truncated", "complete", "building"
REPOST_WINDOW = 40  # as feed.lua: a repost is not added when its post is among this many newest entries


@dataclasses.dataclass
class _Timeline:
    ids: list[int]  # newest first
    end: str  # TRUNCATED, COMPLETE or BUILDING
    claim: str = ""  # while BUILDING: the token of the rebuild that owns it

    def entries(self) -> int:
        """The Redis list's length: the ids and the end mark, if any."""
        return len(self.ids) + (self.end != TRUNCATED)


class InMemoryTimelineStore:
    """Home timelines as Python lists, keyed like the Redis keys so an Audience addresses them."""

    def __init__(self, max_entries: int, slack: int = TIMELINE_SLACK) -> None:
        self.max_entries = max_entries
        self._slack = slack
        self._timelines: dict[str, _Timeline] = {}
        self.originals: dict[int, int] = {}  # repost id -> original id, of the reposts pushed (feed.lua's companions)

    def fan_out(self, posts: Sequence[tuple[int, Audience]], progress: Callable[[], None] | None = None) -> int:
        """Insert each post id into its audience's existing timelines, oldest post first; progress is not
        called (everything happens in one step, there is no round trip to report)."""
        landed = 0
        for post_id, audience in sorted(posts, key=lambda p: p[0]):
            for keys in audience.by_shard.values():
                landed += sum(self._push_one(key, post_id) for key in keys)
        return landed

    def fan_out_reposts(self, reposts: Sequence[tuple[int, int, Audience]]) -> int:
        """As feed.lua tl_repost: each repost id into its audience's existing timelines, except where its
        original or a repost of it is among the newest REPOST_WINDOW entries."""
        landed = 0
        for repost_id, original_id, audience in sorted(reposts, key=lambda r: r[0]):
            for keys in audience.by_shard.values():
                for key in keys:
                    timeline = self._timelines.get(key)
                    if timeline is None:
                        continue
                    recent = [self.originals.get(i, i) for i in timeline.ids[:REPOST_WINDOW]]
                    if original_id not in recent and self._push_one(key, repost_id):
                        self.originals[repost_id] = original_id
                        landed += 1
        return landed

    def push(self, deliveries: Iterable[tuple[int, int]], org_id: int = 0) -> int:
        """Insert (user_id, post_id) pairs into existing timelines; return how many landed."""
        by_post: dict[int, list[int]] = defaultdict(list)
        for user_id, post_id in deliveries:
            by_post[post_id].append(user_id)
        return self.fan_out([(post_id, Audience(users, org_id)) for post_id, users in by_post.items()])

    def remove(self, user_ids: Iterable[int], post_ids: Sequence[int], org_id: int = 0) -> int:
        """Remove post_ids from the timelines of user_ids; return how many entries went."""
        gone = set(post_ids)
        removed = 0
        for user_id in user_ids:
            key = home_timeline_key(user_id, org_id)
            timeline = self._timelines.get(key)
            if timeline is None:
                continue
            kept = [i for i in timeline.ids if i not in gone]
            removed += len(timeline.ids) - len(kept)
            timeline.ids = kept
            if timeline.entries() == 0:  # Redis deletes an empty list: the timeline is missing now
                del self._timelines[key]
        return removed

    def merge(self, user_id: int, post_ids: Sequence[int], org_id: int = 0) -> bool:
        """Merge post_ids into an existing, finished timeline; missing or building ones are left to their rebuild."""
        timeline = self._timelines.get(home_timeline_key(user_id, org_id))
        if not post_ids or timeline is None or timeline.end == BUILDING:
            return False
        usable = set(post_ids)
        if timeline.end == TRUNCATED:  # nothing older than the tail belongs in a truncated list
            usable = {i for i in usable if i > timeline.ids[-1]}
        self._install(timeline, set(timeline.ids) | usable, timeline.end == COMPLETE)
        return True

    def page(
        self, user_id: int, before_id: int | None, count: int, org_id: int = 0, after_id: int | None = None
    ) -> TimelinePage:
        """Up to count ids older than before_id (newest when None), of the visible max_entries; given
        after_id, the count ids just above it."""
        timeline = self._timelines.get(home_timeline_key(user_id, org_id))
        if timeline is None:
            return TimelinePage("missing", [], False)
        if timeline.end == BUILDING:
            return TimelinePage("building", [], False)
        visible = timeline.ids[: self.max_entries]
        goes_on = not self._whole(user_id, org_id)
        if after_id is not None:
            return window_above(visible, after_id, count, goes_on)
        return window_below(visible, before_id, count, goes_on)

    def page_with_sources(
        self,
        read_time: InMemoryReadTimeSources,
        user_id: int,
        before_id: int | None,
        count: int,
        org_id: int = 0,
        riders=(),
        after_id: int | None = None,
    ) -> tuple[TimelinePage, frozenset[Source]]:
        """A page and the organization's read-time sources (one round trip on Redis; here, two lookups),
        the riders settled first, each on its own."""
        for rider in riders:
            rider.settle_alone()
        return self.page(user_id, before_id, count, org_id, after_id), frozenset(read_time.registered(org_id))

    def _whole(self, user_id: int, org_id: int = 0) -> bool:
        """Whether readers of the timeline see all of it: complete, and not past max_entries."""
        timeline = self._timelines.get(home_timeline_key(user_id, org_id))
        return timeline is not None and timeline.end == COMPLETE and len(timeline.ids) <= self.max_entries

    def begin_rebuild(self, user_id: int, org_id: int = 0) -> str | None:
        """Claim a missing timeline for rebuilding: the claim's token, or None if it exists or is claimed."""
        key = home_timeline_key(user_id, org_id)
        if key in self._timelines:
            return None
        token = secrets.token_hex(8)
        self._timelines[key] = _Timeline([], BUILDING, token)
        return token

    def finish_rebuild(
        self, user_id: int, post_ids: Sequence[int], complete: bool, org_id: int = 0, token: str | None = None
    ) -> int | None:
        """Install a rebuilt timeline, merged with whatever was pushed meanwhile; its length, or None (nothing
        written) when that claim is gone. Without a token, finishes any claim in progress."""
        key = home_timeline_key(user_id, org_id)
        timeline = self._timelines.get(key)
        if timeline is None or timeline.end != BUILDING or token not in (None, timeline.claim):
            return None
        self._install(timeline, set(timeline.ids) | set(post_ids), complete)
        if timeline.entries() == 0:  # nothing to write: Redis has no empty list, the timeline stays missing
            del self._timelines[key]
        return len(timeline.ids)

    def abandon_rebuild(self, user_id: int, token: str, org_id: int = 0) -> bool:
        """Give a claimed rebuild up; another caller's claim, or a finished timeline, is left alone."""
        key = home_timeline_key(user_id, org_id)
        timeline = self._timelines.get(key)
        if timeline is None or timeline.end != BUILDING or timeline.claim != token:
            return False
        del self._timelines[key]
        return True

    def drop(self, user_id: int, org_id: int = 0) -> None:
        """Forget a timeline; the next read rebuilds it."""
        self._timelines.pop(home_timeline_key(user_id, org_id), None)

    def _install(self, timeline: _Timeline, ids: set[int], complete: bool) -> None:
        """Rewrite a timeline as the newest max_entries of ids; complete only if nothing was cut."""
        newest = sorted(ids, reverse=True)
        timeline.ids = newest[: self.max_entries]
        timeline.end = COMPLETE if complete and len(newest) <= self.max_entries else TRUNCATED

    def _push_one(self, key: str, post_id: int) -> int:
        """Insert one id where it belongs, as tl_fanout does; 1 if it was added."""
        timeline = self._timelines.get(key)
        if timeline is None:  # not materialized: the next read rebuilds it
            return 0
        ids = timeline.ids
        place = next((n for n, i in enumerate(ids) if i <= post_id), len(ids))
        if place < len(ids) and ids[place] == post_id:
            return 0
        if place > 0 and (place >= self.max_entries or (place == len(ids) and timeline.end == TRUNCATED)):
            return 0  # past the visible bound, or older than a truncated tail: not known to belong here
        ids.insert(place, post_id)
        if timeline.entries() > self.max_entries + self._slack and timeline.end != BUILDING:
            timeline.ids, timeline.end = ids[: self.max_entries], TRUNCATED
        return 1


class InMemoryReadTimeSources:
    """Read-time source lists as Python lists: the double of RedisReadTimeSources for unit tests.

    Each list is created complete on its source's first post (as tl_ensure does), keeps its
    ids newest first and unique, readers see at most max_entries of them, and an
    organization's registry admits at most max_sources (push registers whatever the bound;
    forget and retire shrink it). It passes the same contract (tests/timeline/read_time_contract.py).
    """

    def __init__(self, max_entries: int, slack: int = TIMELINE_SLACK, max_sources: int = MAX_SOURCES) -> None:
        self.max_entries = max_entries
        self.max_sources = max_sources
        self._slack = slack
        self._lists: dict[tuple[int, Source], list[int]] = {}
        self._registered: dict[int, set[Source]] = defaultdict(set)
        self._trimmed: set[tuple[int, Source]] = set()  # lists that lost their oldest ids (no complete mark)

    def admit(self, sources: Iterable[Source], org_id: int = 0) -> set[Source]:
        registry = self._registered[org_id]
        admitted = set()
        for source in sorted(set(sources)):
            if source in registry or len(registry) < self.max_sources:
                registry.add(source)
                admitted.add(source)
        return admitted

    def newest(self, sources: Sequence[Source], org_id: int = 0) -> dict[Source, int]:
        return {s: (self._lists.get((org_id, s)) or [0])[0] for s in sources}

    def snapshot(self, source: Source, org_id: int = 0) -> SourceList:
        ids = list(self._lists.get((org_id, source), []))
        exists = (org_id, source) in self._lists
        return SourceList(ids, str(ids[0]) if ids else ("0" if exists else ""), len(ids) + exists)

    def forget(self, sources: Sequence[Source], org_id: int = 0) -> int:
        registry = self._registered[org_id]
        gone = registry & set(sources)
        registry -= gone
        return len(gone)

    def retire(self, source: Source, seen: SourceList, org_id: int = 0) -> bool:
        if self.snapshot(source, org_id) != seen:
            return False
        self._lists.pop((org_id, source), None)
        self._trimmed.discard((org_id, source))
        return True

    def _whole_among(self, sources: Sequence[Source], org_id: int = 0) -> set[Source]:
        lists = self._lists
        return {
            s
            for s in sources
            if (org_id, s) in lists and (org_id, s) not in self._trimmed and len(lists[org_id, s]) <= self.max_entries
        }

    def push(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> int:
        landed = 0
        for source, post_id in sorted(posts, key=lambda p: p[1]):
            self._registered[org_id].add(source)
            ids = self._lists.setdefault((org_id, source), [])
            if post_id in ids:
                continue
            ids.insert(next((n for n, i in enumerate(ids) if i < post_id), len(ids)), post_id)
            landed += 1
            if len(ids) > self.max_entries + self._slack:
                del ids[self.max_entries :]
                self._trimmed.add((org_id, source))
        return landed

    def remove(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> None:
        for source, post_id in posts:
            ids = self._lists.get((org_id, source), [])
            if post_id in ids:
                ids.remove(post_id)

    def listed(self, posts: Sequence[tuple[Source, int]], org_id: int = 0) -> set[int]:
        registered = self._registered.get(org_id, set())
        return {p for s, p in posts if s in registered and p in self._lists.get((org_id, s), [])}

    def registered(self, org_id: int = 0) -> set[Source]:
        return set(self._registered.get(org_id, set()))

    def pages(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[TimelinePage]:
        out = []
        for source in sources:
            visible = self._lists.get((org_id, source), [])[: self.max_entries]
            goes_on = (org_id, source) in self._lists and not self._whole_among([source], org_id)
            if after_id is not None:
                out.append(window_above(visible, after_id, count, goes_on))
            else:
                out.append(window_below(visible, before_id, count, goes_on))
        return out

    def page_riders(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> list[InMemoryPageRider]:
        """pages()' reads as riders, each read when settled alone (the in-memory store has no round trip)."""
        return [InMemoryPageRider(lambda s=s: self.pages([s], before_id, count, org_id, after_id)[0]) for s in sources]


class InMemoryPageRider:
    """A PageRider of the double: it reads its list when the timeline store settles it alone."""

    def __init__(self, read: Callable[[], TimelinePage]) -> None:
        self._read = read
        self.page: TimelinePage | None = None

    @property
    def pages(self) -> list[TimelinePage] | None:
        return None if self.page is None else [self.page]

    def call(self):
        raise AssertionError("the in-memory timeline store settles its riders alone")

    def settle(self, reply) -> None:
        raise AssertionError("the in-memory timeline store settles its riders alone")

    def settle_alone(self) -> None:
        self.page = self._read()


def window_above(visible: list[int], after_id: int, count: int, goes_on: bool = False) -> TimelinePage:
    """The count ids of a newest-first list just above after_id (tl_newer's answer); goes_on: the list is
    not whole, reported when every visible id is above after_id."""
    above = [i for i in visible if i > after_id]
    reached = len(above) == len(visible)
    return TimelinePage("ready", above[-count:] if count else [], len(above) > count, goes_on and reached)


def window_below(visible: list[int], before_id: int | None, count: int, goes_on: bool = False) -> TimelinePage:
    """Up to count ids of a newest-first list older than before_id (tl_page's answer); goes_on as above,
    reported when the read reached the list's last visible id."""
    older = [i for i in visible if before_id is None or i < before_id]
    more = len(older) > count
    return TimelinePage("ready", older[:count], more, goes_on and not more)
