"""tl_page_posts and tl_newer_posts on a real redis-server: a page's ids and the post-cache entries of those
ids in one call, next to tl_page's and tl_newer's replies, which stay as they were for older processes."""

from __future__ import annotations

import pytest

from feed.redis.connection import RedisFunctions
from feed.redis.keys import home_timeline_key, post_key
from feed.timeline.page import TimelinePage
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import POST_KEY_PREFIX, RedisTimelineStore
from tests.timeline.contract import fresh, materialize

pytestmark = pytest.mark.integration


def test_the_prefix_names_the_post_cache_keys():
    assert post_key(123) == POST_KEY_PREFIX + "123"


def test_a_page_brings_each_ids_cache_entry_in_order_hits_tombstones_and_misses(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    hit, tombstone, miss = fresh(3)
    materialize(store, 1, [hit, tombstone, miss])
    redis_client.set(post_key(hit), b"\x08\x01post")
    redis_client.set(post_key(tombstone), b"")
    name, keys, args = store.page_call(1, None, 5, with_posts=True)
    assert name == "tl_page_posts"
    page, values = functions.call(name, keys, args)
    assert page == [2, 0, str(miss).encode(), str(tombstone).encode(), str(hit).encode()]
    assert values == [None, b"", b"\x08\x01post"]


def test_tl_page_and_tl_newer_answer_as_before(functions):
    store = RedisTimelineStore(functions, 10)
    older, newer = fresh(2)
    materialize(store, 1, [older, newer])
    assert functions.call(*store.page_call(1, None, 5)) == [2, 0, str(newer).encode(), str(older).encode()]
    assert functions.call(*store.page_call(1, None, 5, after_id=older)) == [2, 0, str(newer).encode()]


def test_a_newer_page_brings_the_entries_of_the_ids_above_the_cursor(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    older, newer = fresh(2)
    materialize(store, 1, [older, newer])
    redis_client.set(post_key(newer), b"new")
    redis_client.set(post_key(older), b"old")
    name, keys, args = store.page_call(1, None, 5, after_id=older, with_posts=True)
    assert name == "tl_newer_posts"
    assert functions.call(name, keys, args) == [[2, 0, str(newer).encode()], [b"new"]]


def test_a_missing_or_building_timeline_brings_no_posts(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    assert functions.call(*store.page_call(1, None, 5, with_posts=True)) == [[0, 0], []]
    token = store.begin_rebuild(1)
    assert token
    assert functions.call(*store.page_call(1, None, 5, with_posts=True)) == [[1, 0], []]
    assert redis_client.lrange(home_timeline_key(1), 0, -1) == [f"b{token}".encode()]  # the claim left as it was
    read_time = RedisReadTimeSources(functions, 10)
    page, _ = store.page_with_sources(read_time, 1, None, 5)
    assert page == TimelinePage("building", [], False) and page.cached is None


def test_a_page_with_sources_on_a_standalone_redis_carries_its_posts_cached_entries(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    read_time = RedisReadTimeSources(functions, 10)
    cached, missing = fresh(2)
    materialize(store, 1, [cached, missing])
    redis_client.set(post_key(cached), b"bytes")
    page, _ = store.page_with_sources(read_time, 1, None, 5)
    assert page.cached == {missing: None, cached: b"bytes"}
    assert page == store.page(1, None, 5)  # the same page, whether or not it brought its posts


def test_an_empty_ready_timeline_brings_an_empty_page(functions: RedisFunctions):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1, [])
    assert functions.call(*store.page_call(1, None, 5, with_posts=True)) == [[2, 0], []]
