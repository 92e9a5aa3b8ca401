"""Read repair: a home page read takes ids hidden for good out of the reader's stored timeline, and leaves
alone what is hidden only for now. Each read's removal runs in the background, so tests wait for it."""

from __future__ import annotations

import pytest

from feed.read import repair
from feed.read.filters import HOME_FILTERS
from feed.read.stages import FilterStage, split
from feed.redis.keys import home_timeline_key
from tests.integration.stack import eventually
from tests.read.world import BACKENDS, World, ids, new_user, newest_first, sample, world_on

REPAIRS = "feed_read_repair_ids_total"


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def stored(world: World, user: int) -> list[int]:
    """The ids the user's timeline holds: the raw Redis list (marks left out), or the in-memory double's."""
    if world.functions is None:
        return world.timelines.page(user, None, 1000).ids
    raw = world.functions.client.lrange(home_timeline_key(user), 0, -1)
    return [int(x) for x in raw if x.isdigit() and x != b"0"]


def follower_of(world: World, *authors: int) -> int:
    reader = new_user()
    for author in authors:
        world.store.graph.follow(reader, author)
    world.materialize(reader)
    return reader


def test_a_post_deleted_in_the_store_only_is_removed_from_the_readers_timeline(world):
    author = new_user()
    reader = follower_of(world, author)
    posts = [world.post(author) for _ in range(3)]
    world.deliver(reader, *posts)
    world.store.posts.delete_post(posts[1].post_id)  # its PostDeleted never reached the workers
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(posts[0], posts[2])
    eventually(lambda: stored(world, reader) == newest_first(posts[0], posts[2]))


def test_posts_of_an_unfollowed_author_and_a_left_group_are_removed(world):
    friend, former = new_user(), new_user()
    reader = follower_of(world, friend, former)
    club = world.group(reader, friend)
    kept = world.post(friend)
    unfollowed = world.post(former)
    left = world.post(friend, group=club)
    world.deliver(reader, kept, unfollowed, left)
    world.store.graph.unfollow(reader, former)
    world.store.orgs.remove_member(club, reader)
    assert ids(world.home.read(reader, None, 10).posts) == [kept.post_id]
    eventually(lambda: stored(world, reader) == [kept.post_id])


def test_a_post_hidden_only_for_now_and_one_missing_from_the_cache_stay_in_the_timeline(world):
    author, muted = new_user(), new_user()
    reader = follower_of(world, author, muted)
    uncached, hushed, deleted = world.post(author), world.post(muted), world.post(author)
    world.deliver(reader, uncached, hushed, deleted)
    mute = FilterStage("muted", lambda posts, ctx: split(posts, [p for p in posts if p.author_id != muted]))
    world.home.filters = (*HOME_FILTERS, mute)  # a filter that hides for a while: not for_good
    world.store.posts.delete_post(deleted.post_id)
    assert ids(world.home.read(reader, None, 10).posts) == [uncached.post_id]
    # The page's one removal has run once the deleted post is gone: the others were not in it.
    eventually(lambda: deleted.post_id not in stored(world, reader))
    assert stored(world, reader) == newest_first(uncached, hushed)


def test_a_page_removes_at_most_max_ids_and_counts_the_rest_as_skipped(world, monkeypatch):
    monkeypatch.setattr(repair, "MAX_IDS_PER_PAGE", 3)
    author = new_user()
    reader = follower_of(world, author)
    live = world.post(author)
    doomed = [world.post(author) for _ in range(5)]
    world.deliver(reader, live, *doomed)
    for post in doomed:
        world.store.posts.delete_post(post.post_id)
    skipped = sample(REPAIRS, outcome="skipped")
    assert ids(world.home.read(reader, None, 10).posts) == [live.post_id]
    eventually(lambda: len(stored(world, reader)) == 1 + 5 - 3)
    assert sample(REPAIRS, outcome="skipped") == skipped + 2
    assert live.post_id in stored(world, reader)
