"""Hydration against a real Redis and store: what a miss leaves in the post cache."""

from __future__ import annotations

import pytest

from feed.domain import Post
from feed.ids import IdGenerator
from feed.read.hydrate import Hydrator
from feed.redis.post_cache import RedisPostCache
from feed.store.reposts import Repost

ids = IdGenerator(node=5)


@pytest.fixture
def hydrator(sqlite_store, redis_client):
    return Hydrator(RedisPostCache(redis_client, ttl_s=86_400), sqlite_store.posts)


def test_an_id_the_store_does_not_have_yet_is_found_once_it_has_it(hydrator, sqlite_store, redis_client):
    post_id = ids.next_id()  # asked for before the post is stored (a probe, or a lagging replica)
    assert hydrator.hydrate([post_id]) == {}
    assert redis_client.dbsize() == 0  # no marker, however many ids are asked for
    post = sqlite_store.posts.create_post(Post(post_id, 1, "made afterwards", 1_700_000_000_000))[0]
    assert hydrator.hydrate([post_id]) == {post_id: post}


def test_a_found_post_is_cached_and_a_deleted_one_stays_hidden(hydrator, sqlite_store, redis_client):
    post = sqlite_store.posts.create_post(Post(ids.next_id(), 1, "text", 1_700_000_000_000))[0]
    assert hydrator.hydrate([post.post_id]) == {post.post_id: post}
    assert redis_client.dbsize() == 1
    RedisPostCache(redis_client, ttl_s=86_400).mark_deleted(post.post_id)  # what DeletePost does
    assert hydrator.hydrate([post.post_id]) == {}


def test_a_repost_hydrates_as_its_original_with_its_reposter_until_the_original_is_deleted(sqlite_store, redis_client):
    cache = RedisPostCache(redis_client, ttl_s=86_400)
    hydrator = Hydrator(cache, sqlite_store.posts, sqlite_store.reposts)
    original = sqlite_store.posts.create_post(Post(ids.next_id(), 1, "shared", 1_700_000_000_000))[0]
    repost = sqlite_store.reposts.create_repost(Repost(ids.next_id(), 2, original.post_id))[0]
    plain = ids.next_id()
    for _ in range(2):  # from the store, then from the cache (the repost as a pointer)
        found = hydrator.hydrate([repost.repost_id, plain])
        assert list(found) == [repost.repost_id]
        shown = found[repost.repost_id]
        assert (shown.text, shown.author_id, shown.reposted_by, shown.repost_of) == ("shared", 1, 2, original.post_id)
        assert shown.repost_count == 1
    cache.mark_deleted(original.post_id)
    assert hydrator.hydrate([repost.repost_id]) == {}
