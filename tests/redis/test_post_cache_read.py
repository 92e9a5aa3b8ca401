"""RedisPostCache.get_many given the entries a timeline page brought (read): the same answer as asking Redis,
and a round trip only for the ids the page did not bring."""

from __future__ import annotations

import pytest

from feed.domain import Post
from feed.ids import IdGenerator
from feed.redis.keys import post_key
from feed.redis.post_cache import RedisPostCache
from tests.read.world import sample

pytestmark = pytest.mark.integration
ids = IdGenerator(node=12)
GETS = {"operation": "post_cache_get"}


def gets() -> float:
    return sample("feed_redis_operation_duration_seconds_count", **GETS)


@pytest.fixture
def cache(redis_client) -> RedisPostCache:
    return RedisPostCache(redis_client, ttl_s=600)


def stored(cache: RedisPostCache, *posts: Post) -> list[int]:
    cache.fill(list(posts))
    return [p.post_id for p in posts]


def test_entries_read_with_the_page_answer_as_an_mget_would(cache, redis_client):
    live = Post(ids.next_id(), 3, "live", 1_700_000_000_000)
    original = Post(ids.next_id(), 4, "original", 1_700_000_000_001)
    pointer = Post(ids.next_id(), 0, "", 0, reposted_by=5, repost_of=original.post_id)
    deleted, missing = ids.next_id(), ids.next_id()
    wanted = [*stored(cache, live, original, pointer), deleted, missing]
    cache.mark_deleted(deleted)
    read = dict(zip(wanted, redis_client.mget([post_key(i) for i in wanted]), strict=True))
    before = gets()
    assert cache.get_many(wanted, read) == cache.get_many(wanted)
    assert gets() - before == 1  # the plain get_many's MGET only
    found, tombstones = cache.get_many(wanted, read)
    assert found[pointer.post_id].repost_of == original.post_id and found[pointer.post_id].reposted_by == 5
    assert tombstones == {deleted} and missing not in found


def test_only_the_ids_the_page_did_not_bring_are_asked_for(cache, redis_client):
    on_page, elsewhere = Post(ids.next_id(), 3, "on page", 1), Post(ids.next_id(), 4, "read-time list", 2)
    stored(cache, on_page, elsewhere)
    read = {on_page.post_id: redis_client.get(post_key(on_page.post_id))}
    redis_client.delete(post_key(on_page.post_id))  # what the page brought is used, not asked again
    before = gets()
    found, _ = cache.get_many([on_page.post_id, elsewhere.post_id], read)
    assert found == {on_page.post_id: on_page, elsewhere.post_id: elsewhere}
    assert gets() - before == 1
    assert cache.get_many([on_page.post_id], read)[0] == {on_page.post_id: on_page}
    assert gets() - before == 1  # everything on the page: no round trip
