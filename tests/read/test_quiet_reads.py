"""Mutes and keyword filters on the read path: hidden from the very next page, posts already in the
timeline included, and back when they end; never removed from the timeline (not for good).

On a real redis-server and SQLite store with the read service's guard cache; the write use
cases are wired as the write service wires them, and no worker runs.
"""

from __future__ import annotations

import pytest

from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RedisRelationshipVersions
from feed.actions.quiet import QuietActions
from feed.domain import OPEN
from feed.ids import IdGenerator, now_ms
from feed.read.guard_cache import GuardCache
from feed.redis.keys import home_timeline_key
from tests.integration.stack import eventually
from tests.read.test_guard_cache import Writes, home
from tests.read.world import World, ids, newest_first

pytestmark = pytest.mark.integration


@pytest.fixture
def world(functions, tmp_path):
    world = World(functions, tmp_path, guards=GuardCache())
    yield world
    world.store.close()


@pytest.fixture
def writes(world):
    writes = Writes(world)
    limiter = RedisRateLimiter(world.functions.client, 1000, 1000)
    versions = RedisRelationshipVersions(world.functions)
    writes.quiet = QuietActions(world.store.quiet, writes.orgs, limiter, versions, IdGenerator(), now_ms)
    return writes


def stored(world: World, user: int) -> list[int]:
    """The ids the user's Redis timeline holds once the read repairs queued so far have run."""
    world.home.repair._pool.submit(lambda: None).result()  # its one thread runs them in order
    raw = world.functions.client.lrange(home_timeline_key(user), 0, -1)
    return [int(x) for x in raw if x.isdigit() and x != b"0"]


def reader_of(world: World, writes: Writes, *authors: Principal) -> Principal:
    reader = writes.user()
    writes.follow(reader, *authors)
    world.materialize(reader.user_id)
    return reader


def test_a_mute_hides_posts_already_in_the_timeline_at_once_and_unmute_brings_them_back(world, writes):
    friend, pest = writes.user(), writes.user()
    reader = reader_of(world, writes, friend, pest)
    kept, hushed = world.post(friend.user_id), world.post(pest.user_id)
    world.deliver(reader.user_id, kept, hushed)
    assert home(world, reader) == newest_first(kept, hushed)  # the reader's facts are cached now
    writes.quiet.mute(reader, reader.user_id, pest.user_id, 0)
    assert home(world, reader) == [kept.post_id]
    assert stored(world, reader.user_id) == newest_first(kept, hushed)  # not repaired away
    writes.quiet.unmute(reader, reader.user_id, pest.user_id)
    assert home(world, reader) == newest_first(kept, hushed)


def test_a_mute_ends_to_the_second_without_any_write(world, writes):
    friend, pest = writes.user(), writes.user()
    reader = reader_of(world, writes, friend, pest)
    kept, hushed = world.post(friend.user_id), world.post(pest.user_id)
    world.deliver(reader.user_id, kept, hushed)
    asked = now_ms()  # the mute ends 1 s after the server's now, which is no earlier than this
    writes.quiet.mute(reader, reader.user_id, pest.user_id, 1)
    page = home(world, reader)
    if now_ms() < asked + 1000:  # the whole read fell inside the mute (a loaded machine may take longer)
        assert page == [kept.post_id]
    eventually(lambda: home(world, reader) == newest_first(kept, hushed), timeout_s=5)
    assert now_ms() >= asked + 1000 - 5  # not back before the mute ended


def test_a_whole_word_filter_hides_the_word_not_a_longer_one_until_deleted(world, writes):
    friend = writes.user()
    reader = reader_of(world, writes, friend)
    alert, plural = world.post(friend.user_id, "Spoiler alert!"), world.post(friend.user_id, "no spoilers here")
    world.deliver(reader.user_id, alert, plural)
    assert home(world, reader) == newest_first(alert, plural)
    created = writes.quiet.create_filter(reader, reader.user_id, "  spoiler ", True, 0)
    assert created.phrase == "spoiler"
    assert home(world, reader) == [plural.post_id]
    writes.quiet.delete_filter(reader, reader.user_id, created.filter_id)
    assert home(world, reader) == newest_first(alert, plural)


def test_a_filter_with_a_duration_expires(world, writes):
    friend = writes.user()
    reader = reader_of(world, writes, friend)
    post = world.post(friend.user_id, "ネタバレ注意")
    world.deliver(reader.user_id, post)
    writes.quiet.create_filter(reader, reader.user_id, "ネタバレ", False, 1)
    assert home(world, reader) == []
    eventually(lambda: home(world, reader) == [post.post_id], timeout_s=5)
    assert writes.quiet.list_filters(reader, reader.user_id) == []


def test_the_group_timeline_hides_muted_authors_and_filtered_phrases(world, writes):
    owner, pest, friend = writes.user(), writes.user(), writes.user()
    group = writes.groups.create(owner, owner.user_id, "g", OPEN).group_id
    for member in (pest, friend):
        writes.groups.join(member, group, member.user_id)
    loud, spoiler, fine = (
        world.post(pest.user_id, "hi", group=group),
        world.post(friend.user_id, "SPOILER: x", group=group),
        world.post(friend.user_id, "ok", group=group),
    )
    writes.quiet.mute(owner, owner.user_id, pest.user_id, 0)
    writes.quiet.create_filter(owner, owner.user_id, "spoiler", True, 0)
    assert ids(world.groups.read(group, owner.user_id, None, 10).posts) == [fine.post_id]
    assert ids(world.groups.read(group, friend.user_id, None, 10).posts) == newest_first(loud, spoiler, fine)


def test_a_readers_mutes_and_filters_are_loaded_once_while_nothing_changes(world, writes, monkeypatch):
    friend, pest = writes.user(), writes.user()
    reader = reader_of(world, writes, friend, pest)
    world.deliver(reader.user_id, world.post(friend.user_id), world.post(pest.user_id))
    writes.quiet.mute(reader, reader.user_id, pest.user_id, 3600)
    writes.quiet.create_filter(reader, reader.user_id, "spoiler", True, 3600)
    loads = []
    real = world.store.quiet.active_quiet
    monkeypatch.setattr(world.store.quiet, "active_quiet", lambda *a: loads.append(a) or real(*a))
    for _ in range(3):
        assert len(home(world, reader)) == 1
    assert len(loads) == 1
