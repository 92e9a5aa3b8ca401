"""GroupTimelineReader and UserTimelineReader against a real SQLite store."""

from __future__ import annotations

import pytest

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
    pages = walk(lambda c, n: world.users.read(author, c, n), 3)
    assert pages == [newest_first(*posts)[i : i + 3] for i in (0, 3, 6)]
