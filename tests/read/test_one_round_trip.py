"""A home page in one Redis round trip on a standalone Redis (issue 21): the page's timeline call brings the
cached posts of its ids (feed.lua tl_page_posts), so hydration asks Redis for nothing more in the common case,
and a page with a deleted post, a cache miss and a repost shows exactly what it showed with two round trips."""

from __future__ import annotations

import pytest

from feed.access.rate_limit import read_limiter
from feed.domain import Post
from feed.errors import ResourceExhausted
from feed.ids import IdGenerator
from feed.page_tokens import NewerCursor
from feed.redis.held import HeldConnections
from feed.store.reposts import Repost
from tests.read.world import World, ids, new_user, newest_first, sample, samples, wired_world

pytestmark = pytest.mark.integration
_ids = IdGenerator(node=11)
ROUND_TRIPS = "feed_redis_operation_duration_seconds_count"  # one sample per timed Redis round trip


@pytest.fixture
def world(functions, tmp_path):
    yield from wired_world(functions, tmp_path)


class Checkouts:
    """Counts the round trips on the Redis client's connections: every command or pipeline takes one from
    its pool, every packed call exchanges on the thread's held one (feed/redis/held.py), so this counts
    round trips whether or not they are timed."""

    def __init__(self, monkeypatch, client) -> None:
        self.count = 0
        pool = client.connection_pool
        take = pool.get_connection
        exchange = HeldConnections.exchange

        def counted(*args, **kwargs):
            self.count += 1
            return take(*args, **kwargs)

        def exchanged(held, *args, **kwargs):
            self.count += 1
            return exchange(held, *args, **kwargs)

        monkeypatch.setattr(pool, "get_connection", counted)
        monkeypatch.setattr(HeldConnections, "exchange", exchanged)


def reader_of(world: World, author: int, posts: int) -> tuple[int, list[Post]]:
    reader = new_user()
    world.store.graph.follow(reader, author)
    world.materialize(reader)
    made = [world.post(author) for _ in range(posts)]
    world.deliver(reader, *made)
    return reader, made


def test_a_common_page_costs_one_redis_round_trip(world, redis_client, monkeypatch):
    author = new_user()
    reader, posts = reader_of(world, author, 8)
    world.home.read(reader, None, 5)  # fills the post cache (misses from the store) and the reader's guard facts
    budget = read_limiter(redis_client, 100, 100).budget(reader)  # the rate limit rides in the same round trip
    checkouts = Checkouts(monkeypatch, world.functions.client)
    trips = samples(ROUND_TRIPS)
    page = world.home.read(reader, None, 5, budget=budget)
    assert ids(page.posts) == newest_first(*posts)[:5]
    assert samples(ROUND_TRIPS) - trips == 1
    assert checkouts.count == 1


def test_the_next_older_page_and_a_newer_page_cost_one_round_trip_each(world, redis_client):
    author = new_user()
    reader, posts = reader_of(world, author, 8)
    first = world.home.read(reader, None, 4)
    world.home.read(reader, first.next_cursor, 4)  # caches the older posts
    trips = samples(ROUND_TRIPS)
    older = world.home.read(reader, first.next_cursor, 4)
    assert ids(older.posts) == newest_first(*posts)[4:]
    assert samples(ROUND_TRIPS) - trips == 1
    newer_posts = [world.post(author) for _ in range(2)]
    world.deliver(reader, *newer_posts)
    world.home.read(reader, None, 2)  # caches the new posts
    trips = samples(ROUND_TRIPS)
    newer = world.home.read_newer(reader, NewerCursor(max(ids(first.posts)), max(ids(first.posts))), 10)
    assert ids(newer.posts) == newest_first(*newer_posts)
    assert samples(ROUND_TRIPS) - trips == 1


def test_a_refused_budget_fails_the_page_before_any_post_is_read(world, redis_client):
    author = new_user()
    reader, _ = reader_of(world, author, 3)
    limiter = read_limiter(redis_client, 0.001, 1)
    limiter.take(reader)  # the only token
    hits = sample("feed_post_cache_lookups_total", outcome="hit")
    with pytest.raises(ResourceExhausted):
        world.home.read(reader, None, 5, budget=limiter.budget(reader))
    assert sample("feed_post_cache_lookups_total", outcome="hit") == hits  # nothing the read brought was used


def test_a_page_with_a_deleted_post_a_cache_miss_and_a_repost_shows_what_it_did_with_two_round_trips(
    world, redis_client
):
    author, reposter = new_user(), new_user()
    reader, (deleted, missed, plain) = reader_of(world, author, 3)
    world.store.graph.follow(reader, reposter)
    original = world.post(new_user(), "shared")  # by someone the reader does not follow
    repost = world.store.reposts.create_repost(Repost(_ids.next_id(), reposter, original.post_id))[0]
    world.deliver(reader, Post(repost.repost_id, 0, "", 0))
    world.home.read(reader, None, 10)  # everything cached
    world.store.posts.delete_post(deleted.post_id)
    world.cache.mark_deleted(deleted.post_id)  # a tombstone, as DeletePost writes it
    world.cache.forget(missed.post_id)  # a miss: read from the store and cached again
    world.cache.forget(original.post_id)  # the repost's original: looked up after the page's round trip
    page = world.home.read(reader, None, 10)
    assert ids(page.posts) == [repost.repost_id, plain.post_id, missed.post_id]
    shown = page.posts[0]
    assert (shown.text, shown.author_id, shown.reposted_by, shown.repost_of) == (
        "shared",
        original.author_id,
        reposter,
        original.post_id,
    )
    assert world.cache.get_many([missed.post_id, original.post_id])[0].keys() == {missed.post_id, original.post_id}
    assert world.cache.get_many([deleted.post_id]) == ({}, {deleted.post_id})
