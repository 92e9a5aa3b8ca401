"""Benchmark setup and the memory figure against the tests' own redis-server."""

from __future__ import annotations

import pytest

from feed.bench.memory import bytes_per_entry
from feed.bench.prefill import fill_timelines, timeline_length
from feed.ids import IdGenerator
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key, timeline_shard
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration


def newest_first(n: int) -> list[int]:
    ids = IdGenerator(node=3)
    return sorted((ids.next_id() for _ in range(n)), reverse=True)


def test_prefilled_timelines_are_full_truncated_and_newest_first(functions, redis_client):
    ids = newest_first(20 + TIMELINE_SLACK)
    fill_timelines(redis_client, 40, ids, max_entries=20)
    for user in (1, 2, 40):
        key = home_timeline_key(user)
        assert redis_client.llen(key) == timeline_length(timeline_shard(user), 20)
        page = RedisTimelineStore(functions, 20).page(user, None, 5)
        assert page.state == "ready" and page.ids == ids[:5] and page.more


def test_too_few_ids_to_fill_a_timeline_are_refused(redis_client):
    with pytest.raises(ValueError):
        fill_timelines(redis_client, 2, newest_first(5), max_entries=20)


def test_full_timelines_cost_under_16_bytes_an_entry(redis_client):
    fill_timelines(redis_client, 50, newest_first(800 + TIMELINE_SLACK), max_entries=800)
    figures = bytes_per_entry(redis_client, list(range(1, 51)), sample=20)
    assert figures["timelines_sampled"] == 20
    assert 8 < figures["bytes_per_timeline_entry"] <= 16
