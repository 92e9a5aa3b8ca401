"""GroupTimelineReader and UserTimelineReader against a real SQLite store."""

from __future__ import annotations

import pytest

from feed.errors import PermissionDenied
from feed.read.page import MAX_ROUNDS
from tests.read.world import BACKENDS, ids, new_user, newest_first, sample, world_on

STAGES = "feed_read_stage_posts_total"


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def walk(read, page_size: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = read(cursor, page_size)
        pages.append(ids(page.posts))
        if page.next_cursor is None:
            return pages
        assert len(pages) < 100, "paging did not end"
        cursor = page.next_cursor


def test_a_group_timeline_pages_through_every_post_newest_first(world):
    reader, friend = new_user(), new_user()
    club = world.group(reader, friend)
    posts = [world.post(friend if i % 2 else reader, group=club) for i in range(11)]
    world.post(friend)  # not in the group
    pages = walk(lambda c, n: world.groups.read(club, reader, c, n), 4)
    assert [len(p) for p in pages] == [4, 4, 3]
    assert [i for p in pages for i in p] == newest_first(*posts)


def test_a_group_timeline_hides_blocked_authors_and_counts_them(world):
    reader, friend, pest = new_user(), new_user(), new_user()
    club = world.group(reader, friend, pest)
    shown = [world.post(friend, group=club) for _ in range(3)]
    world.post(pest, group=club)
    world.post(pest, group=club)
    world.store.graph.block(reader, pest)
    before = sample(STAGES, stage="blocked_author", outcome="removed")
    pages = walk(lambda c, n: world.groups.read(club, reader, c, n), 10)
    assert pages == [newest_first(*shown)]
    assert sample(STAGES, stage="blocked_author", outcome="removed") == before + 2


def test_a_group_timeline_hides_the_posts_of_authors_who_blocked_the_reader(world):
    reader, friend, blocker = new_user(), new_user(), new_user()
    club = world.group(reader, friend, blocker)
    shown = [world.post(friend, group=club) for _ in range(2)]
    world.post(blocker, group=club)
    world.store.graph.block(blocker, reader)
    before = sample(STAGES, stage="blocked_author", outcome="removed")
    assert walk(lambda c, n: world.groups.read(club, reader, c, n), 10) == [newest_first(*shown)]
    assert sample(STAGES, stage="blocked_author", outcome="removed") == before + 1
    # the blocker still reads the group, the reader's posts included, unless they block back
    assert len(walk(lambda c, n: world.groups.read(club, blocker, c, n), 10)[0]) == 3


def test_a_long_run_of_blocked_authors_never_ends_a_group_walk_early(world):
    reader, friend, pest = new_user(), new_user(), new_user()
    club = world.group(reader, friend, pest)
    old = world.post(friend, group=club)
    for _ in range(MAX_ROUNDS * 3):
        world.post(pest, group=club)
    new = world.post(friend, group=club)
    world.store.graph.block(reader, pest)
    pages = walk(lambda c, n: world.groups.read(club, reader, c, n), 2)
    assert [i for p in pages for i in p] == [new.post_id, old.post_id]


def test_a_user_timeline_pages_through_the_authors_own_posts(world):
    author = new_user()
    posts = [world.post(author) for _ in range(9)]
    world.post(new_user())
    pages = walk(lambda c, n: world.users.read(author, new_user(), c, n), 3)
    assert pages == [newest_first(*posts)[i : i + 3] for i in (0, 3, 6)]


@pytest.mark.parametrize("blocker", ["author", "reader"])
def test_a_user_timeline_is_refused_when_a_block_stands_either_way(world, blocker):
    author, reader = new_user(), new_user()
    world.post(author)
    pair = (author, reader) if blocker == "author" else (reader, author)
    world.store.graph.block(*pair)
    message = "this user has blocked you" if blocker == "author" else "you have blocked this user"
    with pytest.raises(PermissionDenied, match=message):
        world.users.read(author, reader, None, 10)
    world.store.graph.unblock(*pair)
    assert len(world.users.read(author, reader, None, 10).posts) == 1
