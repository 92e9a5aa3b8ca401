"""The guard cache's own rules, version by version: same version resumes, another or none starts fresh,
and an entry is dropped past its age or its size (over a SQLite store; versions settled by hand)."""

from __future__ import annotations

from feed.read.guard import FollowGuard
from feed.read.guard_cache import GuardCache

READER, FRIEND, OTHER = 1, 2, 3


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def page(cache: GuardCache, store, version: bytes | None, authors: set[int]) -> int:
    """One page's use of the cache with the version read at its start: the store queries it made."""
    cached = cache.open(READER)
    cached.probe.settle(version)
    guard = FollowGuard(store, READER)
    cached.resume(guard)
    guard.check(authors)
    cached.keep(guard)
    return guard.queries


def test_the_same_version_resumes_and_another_or_none_starts_fresh(sqlite_store):
    sqlite_store.graph.follow(READER, FRIEND)
    cache = GuardCache()
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 1
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 0
    assert page(cache, sqlite_store, b"v2", {FRIEND}) == 1
    assert page(cache, sqlite_store, None, {FRIEND}) == 1
    assert page(cache, sqlite_store, None, {FRIEND}) == 1  # nothing kept without a version


def test_an_entry_older_than_its_time_to_live_is_not_used(sqlite_store):
    clock = Clock()
    cache = GuardCache(ttl_s=60, clock=clock)
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 1
    clock.now += 59
    assert page(cache, sqlite_store, b"v1", {FRIEND, OTHER}) == 1  # OTHER is new; kept, born at the first page
    clock.now += 2
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 1  # the first page's facts are 61 s old


def test_an_entry_past_its_size_is_not_kept(sqlite_store):
    cache = GuardCache(max_ids=4)
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 1  # asked: the reader and FRIEND
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 0
    assert page(cache, sqlite_store, b"v1", set(range(10, 20))) == 1
    assert len(cache) == 0
    assert page(cache, sqlite_store, b"v1", {FRIEND}) == 1
