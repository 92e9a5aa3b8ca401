"""The cluster fan-out benchmark's pieces, tiny, against both kinds of Redis: it keeps working."""

from __future__ import annotations

import pytest

from feed.bench.cluster_fanout import batches, fill, measure, shard_lists
from feed.ids import IdGenerator
from feed.redis.connection import connect

pytestmark = pytest.mark.integration
USERS = 40  # one timeline in each of 40 shards


def test_the_bench_fills_full_timelines_and_lands_every_delivery_on_a_node_and_a_cluster(redis_url, redis_cluster_url):
    ids = IdGenerator(node=6)
    lists = shard_lists(ids, USERS)
    work = batches(USERS, followers=30, posts=10, count=3, ids=ids)
    for url in (redis_url, redis_cluster_url):
        client = connect(url)
        client.flushall()
        fill(client, USERS, lists)
        figures = measure(client, work, USERS)  # raises unless every delivery landed
        assert figures["deliveries_per_s"] > 0
        assert 9 < figures["bytes_per_timeline_entry"] < 12  # packed integers in a list: about 10 bytes
        client.flushall()
        client.close()
