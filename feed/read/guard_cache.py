"""A per-process cache of each reader's follow-guard facts, exactly as fresh as asking the store.

The follow guard (feed/read/guard.py) asks the store about the authors and groups
of every page. Most pages of a reader meet the same ones again, so the facts are
kept here under the reader's relationship version (feed/access/versions.py): a
random value in Redis that every Follow, Unfollow, Block, Unblock, join and leave
replaces after its store commit and before it answers. A page reads the version
in its first Redis round trip (it rides there: no round trip of its own) and
starts from the kept facts only when they were fetched under that same value;
otherwise from nothing. Either way the guard then asks the store only about what
it does not know yet, and the facts go back under the version read at the page's
start, never a newer one: a change racing the page leaves them under the old
value, so the next page starts fresh.

A missing version key (never set, or lost with a flushed Redis) is set to a new
random value by the page's own read (feed/access/versions.py), which no entry
holds; a reader without any version (a backend that cannot give one) uses and
keeps nothing, and the store is asked as before. Entries are
bounded in ids (past IDS_MAX the reader starts fresh each page) and live at most
TTL_S, a last resort should a version change ever be lost.

An entry also names the read-time sources its reader's last page merged: the next
page reads their lists in its first round trip, before any version is known (a
guess, feed/read/sources.py Prefetch), and uses them only if the guard, settled
under the version read with them, names no source outside them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from feed.access.versions import VersionProbe
from feed.domain import Source
from feed.lru import BoundedLru
from feed.read.guard import FollowGuard, KnownFacts

READERS_MAX = 20_000  # readers whose facts a process keeps (least recently used dropped)
IDS_MAX = 5_000  # ids one reader's entry may hold; a larger one is not kept
TTL_S = 60.0  # the oldest fact of an entry is at most this old, whatever the versions say


class _Entry(NamedTuple):
    version: bytes | str
    born: float  # when the oldest of its facts was fetched (monotonic)
    known: KnownFacts
    merged: tuple[Source, ...]  # the read-time sources its last page merged: a guess for the next page's


class GuardCache:
    """Readers' guard facts, by (organization, reader), each under the version it was fetched at."""

    def __init__(
        self,
        max_readers: int = READERS_MAX,
        max_ids: int = IDS_MAX,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: BoundedLru[tuple[int, int], _Entry] = BoundedLru(max_readers)
        self.max_ids = max_ids
        self.ttl_s = ttl_s
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def open(self, reader_id: int, org_id: int = 0) -> CachedGuard:
        """One page's use of the cache: its probe rides in the page's first round trip."""
        return CachedGuard(self, reader_id, org_id)

    def _last(self, key: tuple[int, int]) -> _Entry | None:
        return self._entries.get(key)

    def _get(self, key: tuple[int, int], version: bytes | str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version:
            return None
        if self._clock() - entry.born > self.ttl_s:
            self._entries.discard(key)
            return None
        return entry

    def _put(self, key: tuple[int, int], entry: _Entry) -> None:
        if entry.known.size() > self.max_ids:
            self._entries.discard(key)  # a reader paging this deep starts fresh
        else:
            self._entries.put(key, entry)


class CachedGuard:
    """A page's cached facts: read the version (probe), resume the guard, keep what it learned.

    merged: the read-time sources the reader's last page merged, whatever version it was under (a guess:
    the page checks it against its guard); the page sets it to those it merges, for the next one."""

    __slots__ = ("_born", "_cache", "_entry", "_key", "_resumed", "merged", "probe")

    def __init__(self, cache: GuardCache, reader_id: int, org_id: int) -> None:
        self._cache = cache
        self._key = (org_id, reader_id)
        self.probe = VersionProbe(reader_id, org_id)
        self._born = cache._clock()  # before any fact of this page is fetched
        self._resumed = False
        self._entry = cache._last(self._key)
        self.merged: tuple[Source, ...] = () if self._entry is None else self._entry.merged

    def resume(self, guard: FollowGuard) -> None:
        """After the first round trip settled the probe: start the guard from the facts of its version."""
        version = self.probe.value
        if version is None:
            return
        entry = self._cache._get(self._key, version)
        if entry is not None:
            guard.resume(entry.known)
            self._entry, self._born = entry, entry.born
            self._resumed = True

    def keep(self, guard: FollowGuard) -> None:
        """After the page: its facts, under the version read at its start (nothing when there was none)."""
        version = self.probe.value
        if version is None:
            return  # no version to trust
        entry = self._entry
        if self._resumed and guard.queries == 0 and entry is not None and entry.merged == self.merged:
            return  # the entry already holds all of it
        self._cache._put(self._key, _Entry(version, self._born, guard.known(), self.merged))
