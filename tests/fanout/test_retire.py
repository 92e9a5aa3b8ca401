"""Retiring read-time sources: idle ones back under the threshold leave the registry, and nothing is lost.

Over the in-memory timeline doubles and a real redis-server, with a real SQLite
store (tests/read/world.py). What a user would check: the source leaves its
organization's registry, and every reader still sees every post it made while
it was read-time, including a reader who followed it while it was retiring.
"""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.fanout.retire import SourceRetirer, retire, retire_idle
from feed.ids import now_ms
from tests.clock import FakeClock
from tests.read.world import BACKENDS, World, ids, new_user, newest_first, world_on

RETENTION_S = 7 * 86_400


def later() -> int:
    """A moment past the retention of every post made until now (taken when the test runs, not when the
    module is collected: a suite may run this minutes after collecting it)."""
    return now_ms() + (RETENTION_S + 60) * 1000


THRESHOLD = 5


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def follower_of(world: World, author: int, materialized: bool = True) -> int:
    reader = new_user()
    world.store.graph.follow(reader, author)
    if materialized:
        world.materialize(reader)
    return reader


def seen_by(world: World, reader: int) -> list[int]:
    return [i for page in world.walk_home(reader, 2) for i in ids(page.posts)]


def test_an_idle_source_back_under_the_threshold_leaves_the_registry_and_readers_still_see_its_posts(world):
    star = new_user()
    reader, cold = follower_of(world, star), follower_of(world, star, materialized=False)
    posts = [world.post_read_time(star) for _ in range(3)]
    assert seen_by(world, reader) == newest_first(*posts)

    retired = retire_idle(world.store, world.timelines, world.read_time, 0, THRESHOLD, RETENTION_S, later())
    assert retired == [Source(author_id=star)]
    assert world.read_time.registered() == set()
    assert world.read_time.pages([Source(author_id=star)], None, 10)[0].ids == []  # the list is gone
    assert seen_by(world, reader) == newest_first(*posts)  # merged into the home timeline first
    assert seen_by(world, cold) == newest_first(*posts)  # a timeline rebuilt from the store has them too


def test_a_group_source_retires_into_its_members_timelines(world):
    author = new_user()
    member = new_user()
    world.materialize(member)
    group = world.group(author, member)
    post = world.post(author, group=group)
    world.read_time.push([(Source(group_id=group), post.post_id)])
    assert retire_idle(world.store, world.timelines, world.read_time, 0, THRESHOLD, RETENTION_S, later())
    assert seen_by(world, member) == [post.post_id]


def test_a_source_still_above_the_threshold_or_posting_recently_stays(world):
    star, recent = new_user(), new_user()
    follower_of(world, star)
    follower_of(world, recent)
    world.post_read_time(star)
    world.post_read_time(recent)
    assert retire_idle(world.store, world.timelines, world.read_time, 0, 0, RETENTION_S, later()) == []  # above
    assert retire_idle(world.store, world.timelines, world.read_time, 0, THRESHOLD, RETENTION_S, now_ms()) == []
    assert world.read_time.registered() == {Source(author_id=star), Source(author_id=recent)}


class OnFirstFanOut:
    """The world's timeline store, running a step of another actor during the retirement's first merge."""

    def __init__(self, timelines, step) -> None:
        self._timelines, self._step = timelines, step

    def fan_out(self, posts, progress=None):
        landed = self._timelines.fan_out(posts, progress)
        step, self._step = self._step, None
        if step is not None:
            step()
        return landed


def test_a_follow_stored_while_the_source_retires_still_gets_its_posts(world):
    star = new_user()
    follower_of(world, star)
    posts = [world.post_read_time(star) for _ in range(2)]
    late: list[int] = []
    # The follow lands after the first merge listed the audience; its backfill (resolved before the
    # forget) skipped the listed posts, so only the second merge can bring them.
    timelines = OnFirstFanOut(world.timelines, lambda: late.append(follower_of(world, star)))
    assert retire(world.store, timelines, world.read_time, Source(author_id=star), 0)
    assert seen_by(world, late[0]) == newest_first(*posts)


def test_a_post_pushed_while_the_source_retires_keeps_its_list_and_its_registration(world):
    star = new_user()
    reader = follower_of(world, star)
    first = world.post_read_time(star)
    later: list = []
    timelines = OnFirstFanOut(world.timelines, lambda: later.append(world.post_read_time(star)))
    assert not retire(world.store, timelines, world.read_time, Source(author_id=star), 0)
    assert world.read_time.registered() == {Source(author_id=star)}
    assert seen_by(world, reader) == newest_first(first, later[0])


def test_a_worker_sweeps_an_organization_at_most_once_per_interval(world):
    clock = FakeClock()
    retirer = SourceRetirer(world.store, world.timelines, world.read_time, THRESHOLD, 1, 60.0, clock)
    star = new_user()
    world.post_read_time(star, org=3)
    retirer.after_batch([3])  # its post is not a second old yet: it stays
    assert world.read_time.registered(3) == {Source(author_id=star)}
    clock.advance(30)
    world.read_time.remove(
        [(Source(author_id=star), p) for p in world.read_time.pages([Source(author_id=star)], None, 9, 3)[0].ids], 3
    )
    retirer.after_batch([3])  # idle now (its list is empty), but swept 30 s ago
    assert world.read_time.registered(3) == {Source(author_id=star)}
    clock.advance(31)
    retirer.after_batch([3, 3])
    assert world.read_time.registered(3) == set()
