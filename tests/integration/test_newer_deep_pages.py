"""Newer pages below the Redis lists' tails, on the real stack: a prev_page_token older than the oldest entry a
truncated home list holds (a client away while more than FEED_TIMELINE_MAX posts arrived, or a page read
below the boundary) pages newer through the store and on into Redis, each post once, in order.

The stack's lists hold FEED_TIMELINE_MAX = SMALL entries. Posts are bulk-loaded into the store and pushed into
the reader's list as the fan-out would (oldest first, trimmed as they land), so a few lists' worth arrive at
once without waiting for the workers."""

from __future__ import annotations

import itertools

import pytest

from feed.domain import Post
from feed.ids import IdGenerator, now_ms
from feed.redis.connection import RedisFunctions, connect
from feed.timeline.store import RedisTimelineStore
from tests.integration.stack import _store_at, client_of, drained, eventually, new_user, private_stack

pytestmark = pytest.mark.integration
SMALL = 20  # FEED_TIMELINE_MAX of this module's stack
_ids = IdGenerator()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(stack, client) whose Redis lists hold SMALL entries."""
    with private_stack(tmp_path_factory, "newdeep", timeline_max=SMALL) as running, client_of(running) as client:
        yield running, client


def arrive(stack, reader: int, author: int, n: int, group: int = 0, org: int = 0) -> list[int]:
    """n posts of author stored at once, then delivered to the reader's list as the fan-out would; oldest first."""
    posts = [Post(_ids.next_id(), author, "newdeep", now_ms(), group_id=group, org_id=org) for _ in range(n)]
    _store_at(stack.settings.store_url).posts.load_posts(posts)
    timelines = RedisTimelineStore(RedisFunctions(connect(stack.settings.redis_url)), SMALL)
    for post in posts:
        timelines.push([(reader, post.post_id)])
    return [p.post_id for p in posts]


def reader_following(stack, client, *authors: int) -> int:
    reader = new_user()
    client.home(reader)  # materialized: deliveries land in it
    for author in authors:
        client.follow(reader, author)
    eventually(lambda: drained(stack), timeout_s=30)
    return reader


def poll(client, reader: int, token: str, size: int) -> list[list[int]]:
    """Newer pages until one comes back empty, as a client's refresh loop: each page's ids newest first."""
    pages: list[list[int]] = []
    for _ in range(200):
        page = client.home(reader, size, token)
        assert page.prev_page_token
        token = page.prev_page_token
        if not page.posts:
            return pages
        pages.append([p.post_id for p in page.posts])
    raise AssertionError("newer paging did not end")


def in_order(pages: list[list[int]]) -> list[int]:
    """The pages' posts oldest first; asserts each page is newest first and starts above the last."""
    assert all(page == sorted(page, reverse=True) for page in pages)
    for older, newer in itertools.pairwise(pages):
        assert min(newer) > max(older)
    return [i for page in pages for i in page[::-1]]


def test_a_client_away_while_three_lists_full_arrived_sees_each_once_in_order(small):
    stack, client = small
    author = new_user()
    reader = reader_following(stack, client, author)
    token = client.home(reader, 7).prev_page_token
    arrived = arrive(stack, reader, author, 3 * SMALL)
    assert [p.post_id for p in client.home(reader, 7).posts] == arrived[::-1][:7]
    pages = poll(client, reader, token, 7)
    assert in_order(pages) == arrived
    assert all(len(page) == 7 for page in pages[:-1])


def test_a_prev_token_from_a_page_below_the_boundary_pages_newer_into_redis(small):
    stack, client = small
    authors = [new_user(), new_user()]
    reader = reader_following(stack, client, *authors)
    loaded = [i for n in range(3 * SMALL) for i in arrive(stack, reader, authors[n % 2], 1)]
    page = client.home(reader, 7)
    for _ in range(4):  # down to posts 29..35 from the top: below the list's SMALL
        page = client.home(reader, 7, page.next_page_token)
    assert [p.post_id for p in page.posts] == loaded[::-1][28:35]
    created = [client.post(authors[0], "live").post_id for _ in range(3)]  # through the fan-out
    eventually(lambda: drained(stack), timeout_s=30)
    assert in_order(poll(client, reader, page.prev_page_token, 7)) == loaded[-28:] + created


def test_below_the_boundary_newer_pages_keep_the_filters(small):
    stack, client = small
    friend, gone, rude, pest, stranger = (new_user() for _ in range(5))
    reader = reader_following(stack, client, friend, gone, rude, pest)
    club = client.create_group(pest, "club")
    client.join(club, reader)
    secret = client.create_group(stranger, "secret", private=True)
    eventually(lambda: drained(stack), timeout_s=30)
    token = client.home(reader, 7).prev_page_token
    [deleted] = arrive(stack, reader, friend, 1)
    hidden = arrive(stack, reader, gone, 3) + arrive(stack, reader, rude, 3) + arrive(stack, reader, pest, 3, club)
    hidden += arrive(stack, reader, stranger, 3, secret) + arrive(stack, reader, friend, 3, org=7)
    shown = arrive(stack, reader, friend, 5) + arrive(stack, reader, friend, 2, club)
    shown += arrive(stack, reader, friend, SMALL + 5)  # Redis holds the newest SMALL: the rest is below its tail
    client.delete(friend, deleted)
    client.unfollow(reader, gone)
    client.block(reader, rude)
    client.block(pest, reader)  # blocks hide both ways: the pest's posts in the club too
    eventually(lambda: drained(stack), timeout_s=30)
    seen = in_order(poll(client, reader, token, 4))
    assert seen == shown
    assert not set(seen) & {deleted, *hidden}
