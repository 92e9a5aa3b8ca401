"""tl_sources_posts on a real redis-server: several read-time lists' pages in one call, each exactly as tl_page
answers it, with the post-cache entries of the newest count ids of their union (and no more)."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.redis.keys import post_key, source_posts_key
from feed.timeline.list_riders import PagePostsRider, PagesRider
from feed.timeline.page import POST_KEY_PREFIX
from feed.timeline.sources import RedisReadTimeSources
from tests.timeline.contract import fresh

pytestmark = pytest.mark.integration
STAR, OTHER, GROUP = Source(author_id=31), Source(author_id=32), Source(group_id=33)


def call_of(sources: list[Source], cursor: str, count: int) -> tuple[str, list[str], list]:
    keys = [source_posts_key(s) for s in sources]
    return "tl_sources_posts", keys, [cursor, count, 10, 0, 1, POST_KEY_PREFIX]


def test_each_lists_page_is_tl_pages_and_the_values_are_the_unions_newest_count(functions, redis_client):
    read_time = RedisReadTimeSources(functions, 10)
    a1, b1, shared, a2, b2 = fresh(5)  # oldest first
    read_time.push([(STAR, a1), (STAR, shared), (STAR, a2), (OTHER, b1), (OTHER, shared), (OTHER, b2)])
    redis_client.set(post_key(b2), b"b2")
    redis_client.set(post_key(a2), b"")  # a tombstone
    lists, ids, values = functions.call(*call_of([STAR, OTHER, GROUP], "", 3))
    tl_page = [functions.call("tl_page", [source_posts_key(s)], ["", 3, 10, 0, 1]) for s in (STAR, OTHER, GROUP)]
    assert lists == tl_page  # GROUP's list is missing: {0, 0}
    assert [int(i) for i in ids] == [b2, a2, shared]  # shared once
    assert values == [b"b2", b"", None]


def test_an_older_window_reads_below_the_cursor(functions, redis_client):
    read_time = RedisReadTimeSources(functions, 10)
    posts = fresh(6)
    read_time.push([(STAR if i % 2 else OTHER, p) for i, p in enumerate(posts)])
    lists, ids, _ = functions.call(*call_of([STAR, OTHER], str(posts[4]), 2))
    assert [int(i) for i in ids] == [posts[3], posts[2]]
    below = [str(posts[4]), 2, 10, 0, 1]
    assert lists == [functions.call("tl_page", [source_posts_key(s)], below) for s in (STAR, OTHER)]


def test_lists_with_no_id_bring_no_values(functions):
    assert functions.call(*call_of([STAR, OTHER], "", 3)) == [[[0, 0], [0, 0]], [], []]


def test_a_standalone_redis_reads_older_pages_with_their_unions_posts_and_newer_ones_each_with_its_own(
    functions, redis_client
):
    read_time = RedisReadTimeSources(functions, 10)
    older, newer = fresh(2)
    read_time.push([(STAR, older), (OTHER, newer)])
    redis_client.set(post_key(newer), b"new")
    star, other = read_time.pages([STAR, OTHER], None, 5)
    assert (star.ids, other.ids) == ([older], [newer])
    assert star.cached == other.cached == {newer: b"new", older: None}
    [rider] = read_time.page_riders([STAR, OTHER], None, 5)
    assert isinstance(rider, PagesRider)
    # A newer window (a prev_page_token's page, a live stream's read): each list with the posts of its own ids.
    newer_riders = read_time.page_riders([STAR, OTHER], None, 5, after_id=older - 1)
    assert [type(r) for r in newer_riders] == [PagePostsRider, PagePostsRider]
    star, other = read_time.pages([STAR, OTHER], None, 5, after_id=older - 1)
    assert (star.ids, other.ids) == ([older], [newer])
    assert (star.cached, other.cached) == ({older: None}, {newer: b"new"})
