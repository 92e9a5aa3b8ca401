"""The post cache's contract, written once and run against every backend: a standalone redis-server,
a 3-master Redis Cluster, and the in-memory double the read path's unit tests use."""

from __future__ import annotations

import pytest

from feed.domain import Post
from feed.ids import IdGenerator
from feed.redis.connection import connect
from feed.redis.keys import post_key
from feed.redis.post_cache import RedisPostCache
from tests.clock import FakeClock
from tests.redis.in_memory import InMemoryPostCache

TTL_S = 60
ids = IdGenerator(node=7)


def new_post(author: int = 1, text: str = "hello") -> Post:
    return Post(ids.next_id(), author, text, 1_700_000_000_000, 0, 0)


class PostCacheContract:
    """What readers and the write service rely on, whatever Redis holds the cache."""

    @pytest.fixture
    def cache(self):
        raise NotImplementedError  # each backend's subclass gives an empty cache with a TTL of TTL_S

    def ttl_of(self, cache, post_id: int) -> float:
        """Seconds until the entry of post_id expires."""
        raise NotImplementedError

    def test_filled_posts_come_back_as_they_went_in(self, cache):
        posts = [new_post(author, f"post of {author}") for author in (1, 2, 3)]
        cache.fill(posts)
        assert cache.get_many([p.post_id for p in posts]) == ({p.post_id: p for p in posts}, set())

    def test_ids_never_cached_are_neither_found_nor_deleted(self, cache):
        cached = new_post()
        cache.fill([cached])
        unknown = [ids.next_id(), ids.next_id()]
        assert cache.get_many([*unknown, cached.post_id]) == ({cached.post_id: cached}, set())

    def test_nothing_asked_is_nothing_found(self, cache):
        assert cache.get_many([]) == ({}, set())

    def test_a_fill_of_nothing_caches_nothing(self, cache):
        unknown = ids.next_id()  # the store did not have it: nothing is cached, so no one can hide it
        cache.fill([])
        assert cache.get_many([unknown]) == ({}, set())

    def test_a_deletion_overwrites_a_cached_post(self, cache):
        post = new_post()
        cache.fill([post])
        cache.mark_deleted(post.post_id)
        assert cache.get_many([post.post_id]) == ({}, {post.post_id})

    def test_a_post_read_before_is_hidden_once_deleted(self, cache):
        """Reads keep what a hot post decodes to, never whether it is live: a deletion hides it at once."""
        post = new_post()
        cache.fill([post])
        for _ in range(3):
            assert cache.get_many([post.post_id]) == ({post.post_id: post}, set())
        cache.mark_deleted(post.post_id)
        assert cache.get_many([post.post_id]) == ({}, {post.post_id})

    def test_a_stale_fill_after_a_deletion_does_not_bring_the_post_back(self, cache):
        post = new_post()
        cache.mark_deleted(post.post_id)  # the write service deletes while a reader still holds the post
        cache.fill([post])
        assert cache.get_many([post.post_id]) == ({}, {post.post_id})

    def test_a_fill_does_not_replace_a_cached_copy(self, cache):
        post = new_post(text="first copy")
        cache.fill([post])
        cache.fill([Post(post.post_id, post.author_id, "a later copy", post.create_time_ms, 0, 0)])
        assert cache.get_many([post.post_id])[0] == {post.post_id: post}

    def test_every_entry_expires_after_the_ttl(self, cache):
        post, deleted = new_post(), new_post()
        cache.fill([post, deleted])
        cache.mark_deleted(deleted.post_id)
        for post_id in (post.post_id, deleted.post_id):
            assert 0 < self.ttl_of(cache, post_id) <= TTL_S

    def test_a_page_mixing_posts_deletions_and_misses_sorts_each_id_out(self, cache):
        posts = [new_post(author) for author in range(1, 40)]
        unknown = ids.next_id()
        cache.fill(posts)
        cache.mark_deleted(posts[3].post_id)
        found, deleted = cache.get_many([p.post_id for p in posts] + [unknown])
        assert found == {p.post_id: p for p in posts if p is not posts[3]}
        assert deleted == {posts[3].post_id}


class TestInMemoryPostCache(PostCacheContract):
    @pytest.fixture
    def cache(self):
        return InMemoryPostCache(TTL_S, FakeClock())

    def ttl_of(self, cache, post_id):
        return cache.ttl_of(post_id)

    def test_an_entry_is_gone_once_its_ttl_has_passed(self):
        clock = FakeClock()
        cache = InMemoryPostCache(TTL_S, clock)
        post = new_post()
        cache.fill([post])
        clock.advance(TTL_S)
        assert cache.get_many([post.post_id]) == ({}, set())


class RedisPostCacheContract(PostCacheContract):
    @pytest.fixture
    def client(self):
        raise NotImplementedError  # each Redis's subclass gives an emptied client

    @pytest.fixture
    def cache(self, client) -> RedisPostCache:
        return RedisPostCache(client, ttl_s=TTL_S)

    @pytest.fixture(autouse=True)
    def _client(self, client):
        self.client = client

    def ttl_of(self, cache, post_id):
        return self.client.ttl(post_key(post_id))

    def test_decoded_posts_kept_by_a_reader_stay_bounded(self, cache, monkeypatch):
        monkeypatch.setattr("feed.redis.post_cache.DECODED_MAX", 5)
        posts = [new_post(author) for author in range(1, 13)]
        cache.fill(posts)
        for post in posts:
            assert cache.get_many([post.post_id]) == ({post.post_id: post}, set())
            assert len(cache._decoded) <= 5


@pytest.mark.integration
class TestPostCacheOnStandaloneRedis(RedisPostCacheContract):
    @pytest.fixture
    def client(self, redis_client):
        return redis_client


@pytest.mark.integration
class TestPostCacheOnRedisCluster(RedisPostCacheContract):
    @pytest.fixture
    def client(self, redis_cluster_url):
        client = connect(redis_cluster_url)
        client.flushall()  # sent to every primary
        yield client
        client.close()

    def test_a_page_whose_posts_live_in_many_slots_is_found_whole(self, cache, client):
        posts = [new_post(author) for author in range(1, 40)]
        cache.fill(posts)
        assert len({client.keyslot(post_key(p.post_id)) for p in posts}) > 3
        assert len(cache.get_many([p.post_id for p in posts])[0]) == len(posts)
