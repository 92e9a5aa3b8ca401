"""The read-time lists a reader merged on their previous page ride in the next page's first round trip, and the
merged ids are hydrated once: and a follow, unfollow, join or leave between two pages still changes what the very
next page merges.

On a real redis-server and SQLite store, with the write use cases wired as the write service wires them (they
give the reader a new relationship version); no worker runs.
"""

from __future__ import annotations

import logging

import pytest

from feed.domain import Post, Source
from feed.ids import now_ms
from feed.read.guard_cache import GuardCache
from feed.read.newer import after_older_page
from feed.redis.keys import source_posts_key
from tests.read.test_guard_cache import Writes
from tests.read.world import World, ids, newest_first, sample, samples

pytestmark = pytest.mark.integration
ROUND_TRIPS = "feed_redis_operation_duration_seconds_count"
FAILURES = "feed_read_optional_source_failures_total"


@pytest.fixture
def world(functions, tmp_path):
    world = World(functions, tmp_path, guards=GuardCache())
    yield world
    world.store.close()


@pytest.fixture
def writes(world):
    return Writes(world)


def home(world: World, reader) -> list[int]:
    return ids(world.home.read(reader.user_id, None, 20).posts)


def group_post(world: World, author: int, group: int) -> Post:
    """A post of a group above the fan-out threshold: stored, and listed in the group's read-time list."""
    post = world.post(author, "loud", group=group)
    world.read_time.push([(Source(group_id=group), post.post_id)])
    return post


def round_trips_of(read) -> float:
    """The Redis round trips read() makes."""
    before = samples(ROUND_TRIPS)
    read()
    return samples(ROUND_TRIPS) - before


def reader_of_a_friend_and_two_stars(world: World, writes: Writes):
    reader, friend, star, other_star = writes.user(), writes.user(), writes.user(), writes.user()
    writes.follow(reader, friend, star, other_star)
    world.materialize(reader.user_id)
    friends = [world.post(friend.user_id) for _ in range(2)]
    world.deliver(reader.user_id, *friends)
    stars = [world.post_read_time(star.user_id), world.post_read_time(other_star.user_id)]
    return reader, star, friends, stars


def test_a_warm_readers_merging_page_costs_one_redis_round_trip(world, writes):
    reader, friend, star, group_owner = writes.user(), writes.user(), writes.user(), writes.user()
    writes.follow(reader, friend, star)
    group = writes.group_of(group_owner, reader)
    world.materialize(reader.user_id)
    friends = [world.post(friend.user_id) for _ in range(6)]
    world.deliver(reader.user_id, *friends)
    listed = [world.post_read_time(star.user_id) for _ in range(6)]
    listed += [group_post(world, group_owner.user_id, group) for _ in range(6)]
    newest = newest_first(*friends, *listed)[:3]  # every list has more than a page's count: no store below
    assert ids(world.home.read(reader.user_id, None, 3).posts) == newest  # cold: the cache and the guard fill
    pages = []
    trips = round_trips_of(lambda: pages.append(ids(world.home.read(reader.user_id, None, 3).posts)))
    assert pages == [newest]
    assert trips == 1  # the home page with the lists and their newest posts (tl_sources_posts)


def test_following_a_read_time_author_between_two_pages_merges_them_on_the_very_next_page(world, writes):
    reader, _, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    new_star = writes.user()
    theirs = world.post_read_time(new_star.user_id)
    assert home(world, reader) == newest_first(*friends, *stars)  # the new star's list is known, not followed
    writes.follow(reader, new_star)
    assert home(world, reader) == newest_first(*friends, *stars, theirs)
    assert home(world, reader) == newest_first(*friends, *stars, theirs)  # and the page after, from the guess


def test_unfollowing_a_read_time_author_between_two_pages_drops_them_on_the_very_next_page(world, writes):
    reader, star, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    assert home(world, reader) == newest_first(*friends, *stars)
    writes.graph.unfollow(reader, reader.user_id, star.user_id)
    assert home(world, reader) == newest_first(*friends, stars[1])


def test_joining_and_leaving_a_read_time_group_between_pages_changes_the_very_next_page(world, writes):
    reader, _, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    owner = writes.user()
    group = writes.group_of(owner)
    in_group = group_post(world, owner.user_id, group)
    assert home(world, reader) == newest_first(*friends, *stars)
    writes.groups.join(reader, group, reader.user_id)
    assert home(world, reader) == newest_first(*friends, *stars, in_group)
    writes.groups.leave(reader, group, reader.user_id)
    assert home(world, reader) == newest_first(*friends, *stars)


def test_a_deleted_post_of_a_prefetched_list_is_not_shown(world, writes):
    reader, _, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    assert home(world, reader) == newest_first(*friends, *stars)
    world.store.posts.delete_post(stars[0].post_id)  # the store only: no worker removes it from the list
    world.cache.mark_deleted(stars[0].post_id)
    assert home(world, reader) == newest_first(*friends, stars[1])


def test_a_failing_prefetched_list_fails_open_and_the_page_is_served(world, writes, redis_client, caplog):
    reader, star, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    assert home(world, reader) == newest_first(*friends, *stars)
    redis_client.set(source_posts_key(Source(author_id=star.user_id)), "not a list")  # WRONGTYPE from now on
    before = sample(FAILURES, source="read_time")
    with caplog.at_level(logging.WARNING, logger="feed.read"):
        assert home(world, reader) == newest_first(*friends)
    assert sample(FAILURES, source="read_time") == before + 1
    assert "fail open" in caplog.text


def test_the_next_older_page_of_a_warm_reader_merges_below_its_cursor(world, writes):
    reader, _, friends, stars = reader_of_a_friend_and_two_stars(world, writes)
    everything = newest_first(*friends, *stars)
    first = world.home.read(reader.user_id, None, 2)
    second = world.home.read(reader.user_id, first.next_cursor, 2)
    assert ids(first.posts) + ids(second.posts) == everything


def test_a_warm_readers_newer_page_merges_the_lists_and_a_source_followed_since(world, writes):
    reader, star, friends, _ = reader_of_a_friend_and_two_stars(world, writes)
    world.home.read(reader.user_id, None, 20)  # the guess: the two stars
    cursor = after_older_page(world.home.read(reader.user_id, None, 20), None, now_ms())
    new_star = writes.user()
    writes.follow(reader, new_star)
    arrived = [world.post_read_time(star.user_id), world.post_read_time(new_star.user_id)]
    home_post = world.post(friends[0].author_id)
    world.deliver(reader.user_id, home_post)
    newer = world.home.read_newer(reader.user_id, cursor, 20)
    assert ids(newer.posts) == newest_first(*arrived, home_post)
