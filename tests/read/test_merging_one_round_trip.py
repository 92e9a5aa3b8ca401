"""A warm merging page in one Redis round trip on a standalone Redis (issue 21): the read-time lists that ride in
the home page's round trip bring the cached posts of the newest ids of their union (feed.lua tl_sources_posts),
so hydration needs no MGET of its own; and the page shows exactly what it showed with two round trips: a post
deleted between pages is dropped, a cache miss is read from the store, a repost in a list shows its original.

On a real redis-server and SQLite store, with the write use cases wired as the write service wires them.
"""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.ids import IdGenerator, now_ms
from feed.read.newer import after_older_page
from feed.store.reposts import Repost
from tests.read.test_guard_cache import Writes
from tests.read.test_one_round_trip import ROUND_TRIPS, Checkouts
from tests.read.world import World, ids, newest_first, samples, wired_world

pytestmark = pytest.mark.integration
_ids = IdGenerator(node=12)


@pytest.fixture
def world(functions, tmp_path):
    yield from wired_world(functions, tmp_path)


@pytest.fixture
def writes(world):
    return Writes(world)


def merging_reader(world: World, writes: Writes, per_list: int = 6):
    """A reader following a friend (fanned out on write), two read-time authors and a read-time group."""
    reader, friend, star, other_star, owner = (writes.user() for _ in range(5))
    writes.follow(reader, friend, star, other_star)
    group = writes.group_of(owner, reader)
    world.materialize(reader.user_id)
    friends = [world.post(friend.user_id) for _ in range(per_list)]
    world.deliver(reader.user_id, *friends)
    listed = [world.post_read_time(a.user_id) for a in (star, other_star) for _ in range(per_list)]
    for _ in range(per_list):
        post = world.post(owner.user_id, "loud", group=group)
        world.read_time.push([(Source(group_id=group), post.post_id)])
        listed.append(post)
    return reader, friends, listed


def page(world: World, reader, size: int, cursor: int | None = None):
    return world.home.read(reader.user_id, cursor, size)


def test_a_warm_merging_page_costs_one_redis_round_trip(world, writes, monkeypatch):
    reader, friends, listed = merging_reader(world, writes)
    newest = newest_first(*friends, *listed)[:5]  # every list has more than a page's count: no store below
    assert ids(page(world, reader, 5).posts) == newest  # cold: the cache and the guard fill
    checkouts = Checkouts(monkeypatch, world.functions.client)
    trips = samples(ROUND_TRIPS)
    assert ids(page(world, reader, 5).posts) == newest
    assert samples(ROUND_TRIPS) - trips == 1
    assert checkouts.count == 1


def test_the_next_older_merging_page_also_costs_one_round_trip_and_skips_nothing(world, writes):
    reader, friends, listed = merging_reader(world, writes)
    everything = newest_first(*friends, *listed)
    first = page(world, reader, 4)
    page(world, reader, 4, first.next_cursor)  # caches the older posts
    trips = samples(ROUND_TRIPS)
    second = page(world, reader, 4, first.next_cursor)
    assert samples(ROUND_TRIPS) - trips == 1
    assert ids(first.posts) + ids(second.posts) == everything[:8]


def test_a_read_time_post_deleted_between_two_pages_is_not_shown(world, writes):
    reader, friends, listed = merging_reader(world, writes, per_list=2)
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *listed)
    deleted = max(listed, key=lambda p: p.post_id)  # the newest of the lists: among the ids whose posts ride along
    world.store.posts.delete_post(deleted.post_id)  # the store only: no worker removes it from its list
    world.cache.mark_deleted(deleted.post_id)  # the tombstone, as DeletePost writes it
    rest = [p for p in listed if p is not deleted]
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *rest)


def test_a_read_time_post_missing_from_the_cache_is_read_from_the_store(world, writes):
    reader, friends, listed = merging_reader(world, writes, per_list=2)
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *listed)
    evicted = listed[0]
    world.cache.forget(evicted.post_id)
    shown = page(world, reader, 20).posts
    assert ids(shown) == newest_first(*friends, *listed)
    assert next(p for p in shown if p.post_id == evicted.post_id).text == evicted.text
    assert evicted.post_id in world.cache.get_many([evicted.post_id])[0]  # and cached again


def test_a_repost_in_a_read_time_list_shows_its_original(world, writes):
    reader, friends, listed = merging_reader(world, writes, per_list=2)
    star = listed[0].author_id
    original = world.post(writes.user().user_id, "shared")  # by someone the reader does not follow
    repost = world.store.reposts.create_repost(Repost(_ids.next_id(), star, original.post_id))[0]
    world.read_time.push([(Source(author_id=star), repost.repost_id)])
    first = page(world, reader, 20).posts  # cold for the repost: its pointer and the original get cached
    world.cache.forget(original.post_id)  # the original: looked up after the page's round trip
    for shown in (first, page(world, reader, 20).posts):
        assert ids(shown) == [repost.repost_id, *newest_first(*friends, *listed)]
        post = shown[0]
        assert (post.text, post.author_id, post.reposted_by, post.repost_of) == (
            "shared",
            original.author_id,
            star,
            original.post_id,
        )


def test_a_page_whose_lists_were_not_guessed_shows_the_same_posts(world, writes):
    """A follow since the last page: the lists are read in a round trip of their own, posts with them."""
    reader, friends, listed = merging_reader(world, writes, per_list=2)
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *listed)
    new_star = writes.user()
    theirs = world.post_read_time(new_star.user_id)
    writes.follow(reader, new_star)
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *listed, theirs)
    assert ids(page(world, reader, 20).posts) == newest_first(*friends, *listed, theirs)


def test_a_warm_newer_merging_page_costs_one_round_trip_and_shows_what_came_since(world, writes):
    """A prev_page_token's page (and a live stream's read): the lists read above the cursor bring their
    posts too, so what arrived in the home timeline and in every list since the first page takes one trip."""
    reader, friends, listed = merging_reader(world, writes, per_list=2)
    first = page(world, reader, 20)
    assert ids(first.posts) == newest_first(*friends, *listed)
    cursor = after_older_page(first, None, now_ms())
    friend, star = friends[0].author_id, listed[0].author_id
    arrived = [world.post(friend)]
    world.deliver(reader.user_id, arrived[0])
    arrived += [world.post_read_time(star) for _ in range(2)]
    world.home.read_newer(reader.user_id, cursor, 5)  # cold for the new posts: the cache fills
    trips = samples(ROUND_TRIPS)
    newer = world.home.read_newer(reader.user_id, cursor, 5)
    assert samples(ROUND_TRIPS) - trips == 1
    assert ids(newer.posts) == newest_first(*arrived)
