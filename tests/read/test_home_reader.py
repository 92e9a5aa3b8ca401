"""HomeTimelineReader on a real SQLite store, over the in-memory timeline stores and on a real redis-server.

What a user would check: pages in order without gaps or duplicates, and what
they must not see hidden from the very next read even though Redis still holds
it (no worker runs here: each test decides what Redis holds).
"""

from __future__ import annotations

import pytest

from feed.read.page import MAX_ROUNDS
from tests.integration.stack import eventually
from tests.read.world import BACKENDS, World, ids, new_user, newest_first, sample, samples, world_on

STAGES = "feed_read_stage_posts_total"


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def follower_of(world: World, author: int) -> int:
    reader = new_user()
    world.store.graph.follow(reader, author)
    world.materialize(reader)
    return reader


def test_a_missing_timeline_is_rebuilt_from_the_store_on_first_read(world):
    author = new_user()
    posts = [world.post(author) for _ in range(4)]
    reader = new_user()
    world.store.graph.follow(reader, author)
    assert world.timelines.page(reader, None, 1).state == "missing"
    before = samples("feed_timeline_rebuilds_total")
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(*posts)
    assert samples("feed_timeline_rebuilds_total") == before + 1


def test_pages_walk_the_timeline_newest_first_without_gaps_or_duplicates(world):
    author = new_user()
    reader = follower_of(world, author)
    posts = [world.post(author) for _ in range(25)]
    world.deliver(reader, *posts)
    pages = world.walk_home(reader, 7)
    assert [len(p.posts) for p in pages] == [7, 7, 7, 4]
    assert [i for p in pages for i in ids(p.posts)] == newest_first(*posts)
    assert [p.next_cursor for p in pages[:-1]] == [p.posts[-1].post_id for p in pages[:-1]]


def test_deleted_posts_are_hidden_and_counted(world):
    author = new_user()
    reader = follower_of(world, author)
    posts = [world.post(author) for _ in range(4)]
    world.deliver(reader, *posts)
    world.store.posts.delete_post(posts[1].post_id)
    world.cache.mark_deleted(posts[1].post_id)  # as the write service does before publishing the delete
    before = sample(STAGES, stage="deleted", outcome="removed")
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(posts[0], posts[2], posts[3])
    assert sample(STAGES, stage="deleted", outcome="removed") == before + 1


def test_an_unfollow_hides_the_author_at_once_though_redis_still_holds_their_posts(world):
    friend, other = new_user(), new_user()
    reader = follower_of(world, friend)
    world.store.graph.follow(reader, other)
    kept = [world.post(friend) for _ in range(2)]
    gone = [world.post(other) for _ in range(3)]
    world.deliver(reader, *kept, *gone)
    world.store.graph.unfollow(reader, other)  # the worker has not removed their posts yet
    before = sample(STAGES, stage="unfollowed_author", outcome="removed")
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(*kept)
    assert sample(STAGES, stage="unfollowed_author", outcome="removed") == before + 3


def test_group_posts_show_to_members_only_and_not_from_blocked_authors(world):
    reader, friend, pest = new_user(), new_user(), new_user()
    club = world.group(reader, friend, pest)
    elsewhere = world.group(friend)
    world.materialize(reader)
    seen = world.post(friend, group=club)
    not_a_member = world.post(friend, group=elsewhere)
    blocked = world.post(pest, group=club)
    world.deliver(reader, seen, not_a_member, blocked)
    world.store.graph.block(reader, pest)
    assert ids(world.home.read(reader, None, 10).posts) == [seen.post_id]


def test_group_posts_of_an_author_who_blocked_the_reader_are_hidden_and_repaired_away(world):
    reader, friend, blocker = new_user(), new_user(), new_user()
    club = world.group(reader, friend, blocker)
    world.materialize(reader)
    seen = world.post(friend, group=club)
    hidden = world.post(blocker, group=club)
    world.deliver(reader, seen, hidden)
    world.store.graph.block(blocker, reader)  # the reader did nothing; the author blocked them
    assert ids(world.home.read(reader, None, 10).posts) == [seen.post_id]
    eventually(lambda: world.timelines.page(reader, None, 10).ids == [seen.post_id])


def test_posts_of_another_organization_never_show(world):
    author = new_user()
    reader = follower_of(world, author)
    ours = world.post(author)
    theirs = world.post(author, org=9)  # a stray id in the wrong list must still not show
    world.deliver(reader, ours, theirs)
    assert ids(world.home.read(reader, None, 10).posts) == [ours.post_id]


def test_followed_read_time_sources_are_merged_and_unfollowed_ones_are_not(world):
    friend, star, other_star = new_user(), new_user(), new_user()
    reader = follower_of(world, friend)
    world.store.graph.follow(reader, star)
    friends = [world.post(friend) for _ in range(3)]
    world.deliver(reader, *friends)
    stars = [world.post_read_time(star) for _ in range(3)]
    world.post_read_time(other_star)
    more_friends = [world.post(friend) for _ in range(2)]
    world.deliver(reader, *more_friends)
    pages = world.walk_home(reader, 3)
    assert [i for p in pages for i in ids(p.posts)] == newest_first(*friends, *stars, *more_friends)


def test_a_long_run_of_hidden_posts_ends_a_page_early_with_a_cursor_to_read_on(world):
    friend, other = new_user(), new_user()
    reader = follower_of(world, friend)
    world.store.graph.follow(reader, other)
    old = world.post(friend)
    hidden = [world.post(other) for _ in range(MAX_ROUNDS * 3)]
    world.deliver(reader, old, *hidden)
    world.store.graph.unfollow(reader, other)
    pages = world.walk_home(reader, 2)
    assert [i for p in pages for i in ids(p.posts)] == [old.post_id]
    assert pages[0].posts == [] and pages[0].next_cursor is not None  # rounds ran out: the client reads on


@pytest.mark.integration
def test_a_page_in_the_common_case_costs_one_redis_round_trip_and_two_store_queries(functions, tmp_path):
    world = World(functions, tmp_path)
    author = new_user()
    reader = follower_of(world, author)
    world.deliver(reader, *[world.post(author) for _ in range(15)])  # more than a page: Redis does not end
    world.home.read(reader, None, 10)  # warms the post cache
    redis_before = samples("feed_redis_operation_duration_seconds_count")
    store_before = samples("feed_store_operation_duration_seconds_count")
    assert len(world.home.read(reader, None, 10).posts) == 10
    # The page, the directory and the page's cached posts (a standalone Redis: feed.lua tl_page_posts).
    assert samples("feed_redis_operation_duration_seconds_count") - redis_before == 1
    # The follow guard, and the reader's mutes and filters (a read service's guard cache spares both).
    assert samples("feed_store_operation_duration_seconds_count") - store_before == 2
    world.store.close()
