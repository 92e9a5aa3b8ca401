"""Newer pages (HomeTimelineReader.read_newer) on a real SQLite store, over the in-memory timeline stores
and on a real redis-server: every post that arrives above a client's cursor, once, oldest first in time.

No worker runs: each test delivers posts into Redis as the fan-out would, late ones included.
"""

from __future__ import annotations

import itertools

import pytest

from feed.access.rate_limit import read_limiter
from feed.domain import Post, Source
from feed.errors import ResourceExhausted
from feed.ids import now_ms
from feed.page_tokens import MAX_SEEN, MAX_TOKEN_CHARS, NewerCursor, decode_newer_cursor, encode_newer_cursor
from feed.read.newer import NewerPage, advance, after_older_page
from feed.read.page import MAX_ROUNDS, FeedPage
from tests.read.world import BACKENDS, World, ids, new_user, world_on


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def reader_of(world: World, *authors: int) -> int:
    reader = new_user()
    for author in authors:
        world.store.graph.follow(reader, author)
    world.materialize(reader)
    return reader


def top_cursor(world: World, reader: int) -> NewerCursor:
    """The prev_page_token of the reader's first page, as GetHomeTimeline gives it."""
    return after_older_page(world.home.read(reader, None, 20), None, now_ms())


def poll(world: World, reader: int, cursor: NewerCursor, size: int) -> tuple[list[NewerPage], NewerCursor]:
    """Newer pages until one comes back empty, each cursor through its token as a client holds it."""
    pages: list[NewerPage] = []
    for _ in range(200):
        page = world.home.read_newer(reader, decode_newer_cursor(encode_newer_cursor(cursor)), size)
        cursor = page.newer
        if not page.posts:
            return pages, cursor
        pages.append(page)
    raise AssertionError("newer paging did not end")


def test_a_client_paging_newer_sees_every_arrival_once_oldest_first(world):
    authors = [new_user() for _ in range(3)]
    reader = reader_of(world, *authors)
    world.deliver(reader, world.post(authors[0]))
    cursor = top_cursor(world, reader)
    arrived = [world.post(authors[n % 3], f"post {n}") for n in range(50)]
    for start in range(0, 50, 10):  # they land in batches while the client pages
        world.deliver(reader, *arrived[start : start + 10])
    pages, cursor = poll(world, reader, cursor, 7)
    assert [len(p.posts) for p in pages] == [7] * 7 + [1]
    shown = [i for p in pages for i in ids(p.posts)]
    assert sorted(shown) == sorted(p.post_id for p in arrived) and len(set(shown)) == 50
    for page in pages:
        assert ids(page.posts) == sorted(ids(page.posts), reverse=True)  # newest first within a page
    for older, newer in itertools.pairwise(pages):
        assert newer.posts[-1].post_id > older.posts[0].post_id  # contiguous: each starts above the last
    assert [p.more for p in pages] == [True] * 7 + [False]
    one_more = world.post(authors[1])
    world.deliver(reader, one_more)
    assert ids(world.home.read_newer(reader, cursor, 7).posts) == [one_more.post_id]


def test_a_late_arrival_below_a_returned_post_is_returned_once(world):
    author = new_user()
    reader = reader_of(world, author)
    cursor = top_cursor(world, reader)
    late, on_time = world.post(author, "late"), world.post(author, "on time")
    world.deliver(reader, on_time)
    page = world.home.read_newer(reader, cursor, 5)
    assert ids(page.posts) == [on_time.post_id]
    world.deliver(reader, late)  # a smaller id lands after the newer one was returned
    again = world.home.read_newer(reader, page.newer, 5)
    assert ids(again.posts) == [late.post_id]
    assert world.home.read_newer(reader, again.newer, 5).posts == []


def test_the_first_page_of_an_empty_timeline_gives_a_cursor_that_sees_later_posts(world):
    author = new_user()
    reader = reader_of(world, author)
    cursor = top_cursor(world, reader)
    assert world.home.read_newer(reader, cursor, 5).posts == []
    post = world.post(author)
    world.deliver(reader, post)
    assert ids(world.home.read_newer(reader, cursor, 5).posts) == [post.post_id]


def test_newer_pages_start_above_the_first_page_and_older_pages_below_it(world):
    author = new_user()
    reader = reader_of(world, author)
    posts = [world.post(author) for _ in range(6)]
    world.deliver(reader, *posts)
    first = world.home.read(reader, None, 3)
    cursor = after_older_page(first, None, now_ms())
    assert world.home.read_newer(reader, cursor, 5).posts == []  # the three below the page are older pages'
    newer = world.post(author)
    world.deliver(reader, newer)
    assert ids(world.home.read_newer(reader, cursor, 5).posts) == [newer.post_id]


def test_newer_pages_apply_the_home_filters_and_merge_read_time_authors(world):
    friend, gone, pest, star = new_user(), new_user(), new_user(), new_user()
    reader = reader_of(world, friend, gone, star)
    club = world.group(reader, pest, friend)
    secret = world.group(friend)  # the reader is not a member
    world.store.graph.block(pest, reader)
    cursor = top_cursor(world, reader)
    kept = [world.post(friend), world.post(friend, group=club)]
    deleted = world.post(friend)
    hidden = [world.post(gone), world.post(pest, group=club), world.post(friend, group=secret)]
    world.deliver(reader, *kept, deleted, *hidden)
    loud = world.post_read_time(star)  # never in the reader's list: merged when read
    world.store.graph.unfollow(reader, gone)
    world.store.posts.delete_post(deleted.post_id)
    world.cache.mark_deleted(deleted.post_id)
    pages, _ = poll(world, reader, cursor, 2)
    assert sorted(i for p in pages for i in ids(p.posts)) == sorted([*ids(kept), loud.post_id])


def test_a_run_of_hidden_posts_longer_than_the_rounds_is_walked_past(world):
    friend, gone = new_user(), new_user()
    reader = reader_of(world, friend, gone)
    cursor = top_cursor(world, reader)
    hidden = [world.post(gone) for _ in range(MAX_ROUNDS * 3 + 5)]
    shown = world.post(friend)
    world.deliver(reader, *hidden, shown)
    world.store.graph.unfollow(reader, gone)
    calls = 0
    found: list[int] = []
    while not found:
        page = world.home.read_newer(reader, cursor, 2)
        calls, cursor, found = calls + 1, page.newer, ids(page.posts)
        assert calls <= 10, "newer paging stalled behind hidden posts"
    assert found == [shown.post_id]
    assert world.home.read_newer(reader, cursor, 2).posts == []


def test_a_cursor_past_many_posts_in_its_window_stays_a_short_token(world):
    author = new_user()
    reader = reader_of(world, author)
    cursor = top_cursor(world, reader)
    posts = [world.post(author) for _ in range(MAX_SEEN * 2)]
    world.deliver(reader, *posts)
    page = world.home.read_newer(reader, cursor, 100)
    assert len(page.posts) == len(posts)
    assert len(page.newer.seen) == MAX_SEEN
    assert len(encode_newer_cursor(page.newer)) < MAX_TOKEN_CHARS
    assert world.home.read_newer(reader, page.newer, 100).posts == []


def test_read_time_lists_give_the_ids_just_above_a_cursor(world):
    star = new_user()
    posts = [world.post_read_time(star) for _ in range(6)]
    [page] = world.read_time.pages([Source(author_id=star)], None, 2, after_id=posts[1].post_id)
    assert page.ids == [posts[3].post_id, posts[2].post_id] and page.more


@pytest.mark.integration
def test_a_newer_page_spends_the_read_budget_given_and_none_without_one(functions, tmp_path):
    world = World(functions, tmp_path)
    author = new_user()
    reader = reader_of(world, author)
    cursor = top_cursor(world, reader)
    limiter = read_limiter(functions.client, 0.001, 1)  # one read, then none for a long while
    world.home.read_newer(reader, cursor, 5, budget=limiter.budget(reader))
    with pytest.raises(ResourceExhausted):
        world.home.read_newer(reader, cursor, 5, budget=limiter.budget(reader))
    assert world.home.read_newer(reader, cursor, 5).posts == []  # a stream's read: no budget spent
    world.store.close()


def test_a_newer_walk_remembers_its_bottom_from_its_first_page_on():
    """The walk's bottom (below which it went over nothing) is the first page's oldest post, kept by every
    newer page; a walk from an empty first page starts at the first post a newer page shows."""

    def post(post_id: int) -> Post:
        return Post(post_id, 7, "x", 1)

    first = after_older_page(FeedPage([post(30), post(20), post(10)], 10), None, now_ms())
    assert (first.bottom, first.cursor) == (10, 30)
    later = advance(first, [40, 50], [post(40), post(50)])
    assert (later.bottom, later.cursor) == (10, 50)
    assert decode_newer_cursor(encode_newer_cursor(later)) == later

    empty = after_older_page(FeedPage([], None), None, now_ms())
    assert empty.bottom == 0
    nothing_yet = advance(empty, [], [])
    assert nothing_yet.bottom == 0
    started = advance(empty, [empty.cursor + 5], [post(empty.cursor + 5)])
    assert started.bottom == empty.cursor + 5
