"""A home page's cost does not grow with the organization's read-time registry.

Anyone can pad a registry (a group pushed past the threshold, one post); a
reader who follows none of its sources must not pay for it, and a reader who
follows some must still get theirs merged.
"""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.read.guard import ASK_AMONG_MAX
from tests.read.world import BACKENDS, World, ids, new_user, newest_first, samples, world_on

PADDING = ASK_AMONG_MAX * 4


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def pad(world: World, count: int) -> None:
    """Register count read-time sources the readers of these tests do not follow, one post each."""
    for _ in range(count):
        world.post_read_time(new_user())


class AskedIds:
    """Counts the ids the follow guard hands the store's bulk relationship queries."""

    def __init__(self, world: World, monkeypatch) -> None:
        self.ids = 0
        for holder, name in ((world.store.graph, "following_among"), (world.store.orgs, "groups_among")):
            monkeypatch.setattr(holder, name, self._counting(getattr(holder, name)))

    def _counting(self, query):
        def counted(user_id, candidates):
            candidates = list(candidates)
            self.ids += len(candidates)
            return query(user_id, candidates)

        return counted


def reader_of(world: World, *authors: int) -> int:
    reader = new_user()
    for author in authors:
        world.store.graph.follow(reader, author)
    world.materialize(reader)
    return reader


def test_a_padded_registry_adds_no_ids_to_the_store_queries_of_a_reader_who_follows_none_of_it(world, monkeypatch):
    friend = new_user()
    reader = reader_of(world, friend)
    world.deliver(reader, *[world.post(friend) for _ in range(3)])
    world.post_read_time(new_user())  # a registry of one
    asked = AskedIds(world, monkeypatch)
    assert len(world.home.read(reader, None, 10).posts) == 3
    small = asked.ids
    pad(world, PADDING)
    asked.ids = 0
    assert len(world.home.read(reader, None, 10).posts) == 3
    assert asked.ids <= small


def test_a_reader_of_a_padded_registry_still_gets_the_sources_it_follows_and_the_groups_it_is_in(world):
    friend, star, author = new_user(), new_user(), new_user()
    reader = reader_of(world, friend, star)
    group = world.group(author, reader)
    pad(world, PADDING)
    friends = [world.post(friend) for _ in range(2)]
    world.deliver(reader, *friends)
    stars = [world.post_read_time(star) for _ in range(2)]
    in_group = world.post(author, group=group)
    world.read_time.push([(Source(group_id=group), in_group.post_id)])
    pages = world.walk_home(reader, 2)
    assert [i for p in pages for i in ids(p.posts)] == newest_first(*friends, *stars, in_group)


@pytest.mark.integration
def test_a_padded_registry_adds_no_redis_work_to_a_page_of_a_reader_who_follows_none_of_it(functions, tmp_path):
    world = World(functions, tmp_path)
    friend = new_user()
    reader = reader_of(world, friend)
    world.deliver(reader, *[world.post(friend) for _ in range(3)])
    world.home.read(reader, None, 10)  # warms the post cache and the registry copy

    def page_cost() -> tuple[float, dict[str, int]]:
        before, stats = samples("feed_redis_operation_duration_seconds_count"), commands(functions.client)
        assert len(world.home.read(reader, None, 10).posts) == 3
        after = commands(functions.client)
        return samples("feed_redis_operation_duration_seconds_count") - before, {
            k: after[k] - stats.get(k, 0) for k in after if after[k] != stats.get(k, 0)
        }

    small = page_cost()
    pad(world, PADDING)
    world.home.read(reader, None, 10)  # the registry changed: this page brings the new copy once
    assert page_cost() == small
    world.store.close()


def commands(client) -> dict[str, int]:
    """Commands redis-server has run, by name (INFO itself left out)."""
    return {k: v["calls"] for k, v in client.info("commandstats").items() if k != "cmdstat_info"}
