"""Newer pages below the Redis lists' tails (feed/read/deep.py, HomeTimelineReader.read_newer): a cursor older
than the oldest entry a truncated list holds reads the posts just above it from the store, then goes on into
Redis, each post once, in order. On a real SQLite store, over the in-memory timeline doubles and a real
redis-server, lists bounded to MAX entries (no worker runs: each test delivers as the fan-out would)."""

from __future__ import annotations

import itertools

import pytest

from feed.domain import PRIVATE, Source
from feed.ids import now_ms
from feed.page_tokens import NewerCursor, decode_newer_cursor, encode_newer_cursor
from feed.read import deep
from feed.read.newer import NewerPage, after_older_page
from tests.read.test_deep_read import MAX, Deep, newest_first
from tests.read.world import BACKENDS, ids, new_user


@pytest.fixture(params=BACKENDS)
def d(request, tmp_path):
    reader = Deep(tmp_path, request.getfixturevalue("functions") if request.param == "redis" else None)
    yield reader
    reader.store.close()


def top_cursor(d: Deep, reader: int) -> NewerCursor:
    """The prev_page_token of the reader's first page, as GetHomeTimeline gives it."""
    return after_older_page(d.home.read(reader, None, 5), None, now_ms())


def arrive(d: Deep, reader: int, author: int, n: int, **kwargs) -> list[int]:
    """n posts stored and fanned out to the reader's home list (trimmed to its bound as they land)."""
    made = d.posts(author, n, **kwargs)
    for post in made:
        d.timelines.push([(reader, post.post_id)])
    return [p.post_id for p in made]


def poll(d: Deep, reader: int, cursor: NewerCursor, size: int) -> list[NewerPage]:
    """Newer pages until one comes back empty, each cursor through its token as a client holds it."""
    pages: list[NewerPage] = []
    for _ in range(500):
        page = d.home.read_newer(reader, decode_newer_cursor(encode_newer_cursor(cursor)), size)
        cursor = page.newer
        if not page.posts:
            return pages
        pages.append(page)
    raise AssertionError("newer paging did not end")


def shown_in_order(pages: list[NewerPage]) -> list[int]:
    """The posts of the pages as a client lists them, oldest first; asserts each page is contiguous with
    the one before (it starts above the last) and newest first within."""
    for page in pages:
        assert ids(page.posts) == sorted(ids(page.posts), reverse=True)
    for older, newer in itertools.pairwise(pages):
        assert newer.posts[-1].post_id > older.posts[0].post_id
    return [i for p in pages for i in ids(p.posts)[::-1]]


def test_a_client_away_while_three_lists_full_arrived_sees_each_once_in_order(d):
    reader, author = new_user(), new_user()
    d.store.graph.follow(reader, author)
    d.posts(author, 3)
    d.rebuild(reader)
    cursor = top_cursor(d, reader)
    arrived = arrive(d, reader, author, 3 * MAX)
    assert d.timelines.page(reader, None, 100).ids == arrived[::-1][:MAX]  # Redis kept the newest only
    pages = poll(d, reader, cursor, 7)
    assert shown_in_order(pages) == arrived
    assert [len(p.posts) for p in pages] == [7, 7, 7, 7, 2]


def test_a_prev_token_from_a_page_read_deep_below_the_tail_pages_newer_into_redis(d):
    reader, authors = new_user(), [new_user(), new_user()]
    for author in authors:
        d.store.graph.follow(reader, author)
    everything = [p.post_id for n in range(4 * MAX) for p in d.posts(authors[n % 2], 1)]
    d.rebuild(reader)
    before_id, page = None, d.home.read(reader, None, 7)
    for _ in range(3):  # down to posts 22..28 from the top: well below the list's 10
        before_id, page = page.next_cursor, d.home.read(reader, page.next_cursor, 7)
    assert ids(page.posts) == everything[::-1][21:28]
    cursor = after_older_page(page, before_id, now_ms())
    later = arrive(d, reader, authors[0], 4)
    assert shown_in_order(poll(d, reader, cursor, 7)) == everything[-21:] + later


def test_below_the_tail_a_newer_page_keeps_the_filters(d):
    reader, friend, gone, pest, stranger = (new_user() for _ in range(5))
    for author in (friend, gone, pest):
        d.store.graph.follow(reader, author)
    joined, private = d.group(reader, pest), d.group(stranger, friend, visibility=PRIVATE)
    d.posts(friend, 2)
    d.rebuild(reader)
    cursor = top_cursor(d, reader)
    deleted = d.posts(friend, 1)[0]
    hidden = d.posts(gone, 2) + d.posts(pest, 2, joined) + d.posts(friend, 2, private) + d.posts(friend, 2, org=7)
    shown = d.posts(friend, 3)
    newer = arrive(d, reader, friend, MAX + 2)  # Redis holds these; everything above is below its tail
    d.store.posts.delete_post(deleted.post_id)
    d.store.graph.unfollow(reader, gone)
    d.store.graph.block(pest, reader)
    seen = shown_in_order(poll(d, reader, cursor, 4))
    assert seen == [p.post_id for p in shown] + newer
    assert not set(seen) & {p.post_id for p in [*hidden, deleted]}


def test_a_trimmed_read_time_list_pages_newer_from_the_store_below_its_tail(d):
    reader, star, friend = new_user(), new_user(), new_user()
    d.store.graph.follow(reader, star)
    d.store.graph.follow(reader, friend)
    d.posts(friend, 2)
    d.rebuild(reader)  # the friend's two posts: a whole home list
    cursor = top_cursor(d, reader)
    loud = d.posts(star, 4 * MAX)
    d.read_time.push([(Source(author_id=star), p.post_id) for p in loud])  # trimmed to its newest MAX
    assert shown_in_order(poll(d, reader, cursor, 7)) == [p.post_id for p in loud]


def test_a_newer_page_inside_the_list_asks_the_store_nothing_past_the_guard(d):
    reader, author = new_user(), new_user()
    d.store.graph.follow(reader, author)
    d.posts(author, 30)
    d.rebuild(reader)
    cursor = top_cursor(d, reader)
    arrived = arrive(d, reader, author, 3)
    d.home.read_newer(reader, cursor, 7)  # warms the post cache
    before = d.tally[0]
    assert ids(d.home.read_newer(reader, cursor, 7).posts) == arrived[::-1]
    assert d.tally[0] - before <= 1  # the follow guard only


def test_a_forged_newer_cursor_far_in_the_past_pages_at_a_bounded_cost(d):
    reader = new_user()
    followed = [new_user() for _ in range(deep.DEEP_AUTHORS_MAX * 3)]
    for author in followed:
        d.store.graph.follow(reader, author)
    mine = d.posts(reader, 3)  # the oldest posts the reader can see
    for author in followed[:40]:
        d.posts(author, 2)
    d.rebuild(reader)
    before = d.tally[0]
    oldest = mine[0].post_id - 1
    page = d.home.read_newer(reader, NewerCursor(oldest, oldest), 3)
    assert ids(page.posts) == newest_first(mine) and page.more
    assert d.tally[0] - before <= deep.DEEP_QUERIES_MAX + 3  # and the follow guard's three kinds of facts
    assert d.tally[0] - before < len(followed)  # not one query per author followed


@pytest.mark.integration
def test_tl_page_and_tl_newer_report_goes_on_only_to_callers_that_ask(functions):
    """More's bit 2 says the read reached a list that goes on in the store; a caller passing four arguments
    (as before it existed) still gets 0 or 1."""
    key = "tl:{goes-on-test}"
    functions.client.delete(key)
    functions.client.rpush(key, "30", "20", "10")  # no complete mark: the newest prefix of a longer timeline
    assert functions.call("tl_newer", [key], ["5", 2, 10, 0, "1"]) == [2, 1 + 2, b"20", b"10"]
    assert functions.call("tl_newer", [key], ["5", 2, 10, 0]) == [2, 1, b"20", b"10"]
    assert functions.call("tl_newer", [key], ["10", 5, 10, 0, "1"]) == [2, 0, b"30", b"20"]  # holds the window
    assert functions.call("tl_page", [key], ["25", 5, 10, 0, "1"]) == [2, 2, b"20", b"10"]
    assert functions.call("tl_page", [key], ["25", 5, 10, 0]) == [2, 0, b"20", b"10"]
    assert functions.call("tl_page", [key], ["", 2, 10, 0, "1"]) == [2, 1, b"30", b"20"]
    functions.client.rpush(key, "0")  # the complete mark: the list is the whole timeline
    assert functions.call("tl_page", [key], ["25", 5, 10, 0, "1"]) == [2, 0, b"20", b"10"]
    assert functions.call("tl_newer", [key], ["5", 5, 10, 0, "1"]) == [2, 0, b"30", b"20", b"10"]
    assert functions.call("tl_newer", [key], ["5", 5, 2, 0, "1"]) == [2, 2, b"30", b"20"]  # past its bound of 2


def test_below_the_tail_an_authors_posts_in_another_organization_hide_none_of_theirs_in_this_one(d):
    """An author's store listing holds their posts of every organization: those of another one must not
    make an older page skip the author's posts just below them (the filters drop them, not the listing)."""
    reader, author, other = new_user(), new_user(), new_user()
    d.store.graph.follow(reader, author)
    d.store.graph.follow(reader, other)
    shown = d.posts(other, 3) + d.posts(author, 1) + d.posts(other, 1)  # the author's between the other's
    elsewhere = d.posts(author, 3, org=7)
    shown += d.posts(author, 1) + d.posts(author, MAX + 2)  # Redis holds the newest MAX: the rest is below its tail
    d.rebuild(reader)
    seen, _ = d.walk(reader, 3)
    assert seen == newest_first(shown)
    assert not set(seen) & {p.post_id for p in elsewhere}
