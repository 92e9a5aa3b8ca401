"""Every Redis use against a real 3-master Redis Cluster: routing, the function library, the post
cache, celebrity lists and the readiness probe."""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException

from feed.devstack.local import HOST
from feed.devstack.procs import free_port
from feed.domain import Post, Source
from feed.health.probes import redis_probe
from feed.ids import IdGenerator
from feed.redis.keys import TIMELINE_SHARDS, home_timeline_key
from feed.redis.post_cache import RedisPostCache
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=2)


def per_primary(client: RedisCluster, command: str) -> dict[str, int]:
    """Calls of command (a commandstats name such as "fcall") on each primary since the last reset."""
    out = {}
    for node in client.get_primaries():
        stats = node.redis_connection.info("commandstats")
        out[node.name] = stats.get(f"cmdstat_{command}", {}).get("calls", 0)
    return out


def reset_stats(client: RedisCluster) -> None:
    for node in client.get_primaries():
        node.redis_connection.config_resetstat()


def materialize(store: RedisTimelineStore, users: list[int]) -> None:
    """Give users empty complete timelines, so pushes land."""
    for user in users:
        assert store.begin_rebuild(user)
        store.finish_rebuild(user, [], complete=True)


def test_the_function_library_is_loaded_on_every_primary(functions, redis_client):
    for node in redis_client.get_primaries():
        libraries = node.redis_connection.function_list()
        assert [lib[1] for lib in libraries] == [b"feed"], node.name


def test_a_bulk_push_is_one_call_per_shard_group_spread_over_the_primaries(functions, redis_client):
    store = RedisTimelineStore(functions, 800)
    shards = range(1, TIMELINE_SHARDS, 32)  # 32 shard groups, whose slots fall on every primary
    users = [shard + k * TIMELINE_SHARDS for shard in shards for k in range(5)]
    materialize(store, users)
    deliveries = [(u, ids.next_id()) for u in users]
    reset_stats(redis_client)

    assert store.push(deliveries) == len(deliveries)
    calls = per_primary(redis_client, "fcall")
    assert sum(calls.values()) == len(shards)  # one FCALL per shard group: bulk stays bulk
    assert all(n > 0 for n in calls.values())  # and the groups land on every primary
    # redis-py would ask a node for each FCALL's keys (COMMAND GETKEYS) unless routed locally
    assert sum(per_primary(redis_client, "command|getkeys").values()) == 0


def test_a_primary_that_lost_the_library_gets_it_back_on_the_next_call(functions, redis_client):
    store = RedisTimelineStore(functions, 800)
    users = list(range(1, 64))
    materialize(store, users)
    victim = redis_client.get_primaries()[1]
    victim.redis_connection.function_flush()  # as a new or replaced node would be

    post = ids.next_id()
    assert store.push([(u, post) for u in users]) == len(users)
    assert all(store.page(u, None, 5).ids == [post] for u in users)
    assert victim.redis_connection.function_list()


def test_a_function_call_whose_keys_span_slots_is_refused_before_it_is_sent(functions, redis_client):
    keys = [home_timeline_key(1), home_timeline_key(2)]  # shards 1 and 2: different slots
    with pytest.raises(RedisClusterException, match="same key slot"):
        functions.call("tl_remove", keys, [1])


def test_the_post_cache_reads_posts_and_tombstones_across_slots(redis_client):
    cache = RedisPostCache(redis_client, ttl_s=60)
    posts = [Post(ids.next_id(), author, f"post {author}", 1_700_000_000_000) for author in range(1, 40)]
    unknown = ids.next_id()
    cache.fill(posts)
    deleted_later = posts[3].post_id
    cache.mark_deleted(deleted_later)

    wanted = [p.post_id for p in posts] + [unknown]
    found, deleted = cache.get_many(wanted)
    assert found == {p.post_id: p for p in posts if p.post_id != deleted_later}
    assert deleted == {deleted_later}
    assert len({redis_client.keyslot(f"feed:post:{i}") for i in wanted}) > 3  # really across slots


def test_read_time_posts_of_several_sources_in_one_batch_reach_each_sources_list(functions):
    read_time = RedisReadTimeSources(functions, 800)
    sources = [Source(author_id=11), Source(author_id=12), Source(group_id=13)]  # in different slots
    batch = [(source, ids.next_id()) for source in sources for _ in range(2)]

    assert read_time.push(batch) == len(batch)
    assert read_time.registered() == set(sources)
    pages = read_time.pages(sources, None, 10)
    assert [sorted(p.ids) for p in pages] == [sorted(post for s, post in batch if s == x) for x in sources]


def test_the_registry_admits_forgets_and_versions_its_sources_in_one_slot(functions):
    read_time = RedisReadTimeSources(functions, 800, max_sources=2)
    timelines = RedisTimelineStore(functions, 800)
    star, group, other = Source(author_id=11), Source(group_id=13), Source(author_id=12)
    assert read_time.admit([star, group, other], org_id=4) == {star, group}  # in source order, two places
    assert timelines.page_with_sources(read_time, 1, None, 5, org_id=4)[1] == {star, group}
    assert read_time.forget([star], org_id=4) == 1
    assert timelines.page_with_sources(read_time, 1, None, 5, org_id=4)[1] == {group}


def test_the_readiness_probe_pings_every_primary(redis_cluster_url):
    redis_probe(redis_cluster_url).check()


def test_the_readiness_probe_of_an_unreachable_cluster_fails_its_check_not_its_creation():
    probe = redis_probe(f"redis+cluster://{HOST}:{free_port()}", timeout_s=0.5)  # nothing listens there
    with pytest.raises(RedisClusterException):
        probe.check()
