"""An optional source that fails is skipped and counted; the required home timeline still fails the page.

Real faults on a real redis-server: a read-time list key overwritten with a
string makes Redis answer WRONGTYPE for it, exactly as a corrupted or
misconfigured key would.
"""

from __future__ import annotations

import logging

import pytest
import redis

from feed.devstack.procs import free_port
from feed.domain import Source
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.redis.connection import RedisFunctions, connect
from feed.redis.keys import home_timeline_key, source_posts_key
from feed.timeline.sources import RedisReadTimeSources
from tests.read.world import TIMELINE_MAX, World, ids, new_user, newest_first, sample

pytestmark = pytest.mark.integration
FAILURES = "feed_read_optional_source_failures_total"
SECRET = "zebra-quartz"  # in every post's text, so the logs can be searched for it


@pytest.fixture
def world(functions, tmp_path):
    w = World(functions, tmp_path)
    yield w
    w.store.close()


def reader_of_a_friend_and_a_star(world: World):
    """A reader following a friend (fanned out on write) and a star (merged at read time), with posts of each."""
    reader, friend, star = new_user(), new_user(), new_user()
    world.store.graph.follow(reader, friend)
    world.store.graph.follow(reader, star)
    world.materialize(reader)
    friends = [world.post(friend, f"{SECRET} friend {i}") for i in range(3)]
    world.deliver(reader, *friends)
    stars = [world.post_read_time(star, f"{SECRET} star {i}") for i in range(2)]
    return reader, star, friends, stars


def test_a_failing_read_time_list_is_skipped_and_the_home_timeline_still_served(world, redis_client, caplog):
    reader, star, friends, stars = reader_of_a_friend_and_a_star(world)
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(*friends, *stars)  # merged while healthy
    redis_client.set(source_posts_key(Source(author_id=star)), "not a list")  # Redis now answers WRONGTYPE
    before = sample(FAILURES, source="read_time")

    with caplog.at_level(logging.WARNING, logger="feed.read"):
        page = world.home.read(reader, None, 10)

    assert ids(page.posts) == newest_first(*friends)
    assert page.next_cursor is None
    assert sample(FAILURES, source="read_time") == before + 1
    assert "fail open" in caplog.text
    assert SECRET not in caplog.text


def test_the_home_timeline_stays_required(world, redis_client):
    reader, _, _, _ = reader_of_a_friend_and_a_star(world)
    redis_client.delete(home_timeline_key(reader))
    redis_client.set(home_timeline_key(reader), "not a list")
    before = sample(FAILURES, source="read_time")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        world.home.read(reader, None, 10)
    assert sample(FAILURES, source="read_time") == before


def test_read_time_lists_on_a_redis_that_does_not_answer_are_skipped_too(world, redis_client, tmp_path):
    """The lists' client points at a port nobody listens on: the call is refused (Unavailable), the page
    is served from the home timeline alone."""
    reader, _, friends, stars = reader_of_a_friend_and_a_star(world)
    silent = RedisReadTimeSources(RedisFunctions(connect(f"redis://127.0.0.1:{free_port()}/0")), TIMELINE_MAX)
    world.home = HomeTimelineReader(world.store, world.timelines, silent, Hydrator(world.cache, world.store.posts))
    # The organization's set of sources still comes with the home page (one round trip, the healthy Redis).
    assert world.read_time.registered() == {Source(author_id=s.author_id) for s in stars}
    before = sample(FAILURES, source="read_time")
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(*friends)
    assert sample(FAILURES, source="read_time") == before + 1
