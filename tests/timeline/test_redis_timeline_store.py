"""RedisTimelineStore on a real redis-server: the timeline store contract, then what only Redis has
(list layout, trimming, memory per entry, function reloading, pipelines of a long fan-out)."""

from __future__ import annotations

import pytest
import redis

from feed.domain import Source
from feed.redis.connection import RedisFunctions
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key, read_time_sources_key, repost_index_key
from feed.timeline import audience
from feed.timeline.audience import Audience
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.timeline.contract import TimelineStoreContract, fresh, materialize, read_all

pytestmark = pytest.mark.integration


class TestRedisTimelineStore(TimelineStoreContract):
    @pytest.fixture(autouse=True)
    def _redis(self, functions: RedisFunctions) -> None:
        self.functions = functions  # an emptied Redis per test (tests/conftest.py, or tests/cluster's)

    def make_store(self, max_entries: int) -> RedisTimelineStore:
        return RedisTimelineStore(self.functions, max_entries)


def test_a_full_timeline_trims_back_to_its_bound_once_past_the_slack(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1, fresh(10), complete=False)
    newer = fresh(TIMELINE_SLACK)
    for post in newer:
        store.fan_out([(post, Audience([1]))])
    assert redis_client.llen(home_timeline_key(1)) == 10 + TIMELINE_SLACK  # within the slack: no trim yet
    last = fresh(1)
    store.fan_out([(last[0], Audience([1]))])
    assert redis_client.llen(home_timeline_key(1)) == 10
    assert read_all(store, 1) == list(reversed(newer + last))[:10]


def test_functions_are_reloaded_after_redis_forgets_them(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    redis_client.function_flush()
    materialize(store, 1, fresh(1))
    assert len(read_all(store, 1)) == 1


def test_timeline_entries_are_compact(functions, redis_client):
    store = RedisTimelineStore(functions, 800)
    materialize(store, 1, fresh(800), complete=False)
    usage = redis_client.memory_usage(home_timeline_key(1))
    assert usage / 800 < 16


def test_a_long_fan_out_runs_several_pipelines_and_reports_progress(functions, monkeypatch):
    monkeypatch.setattr(audience, "KEYS_PER_ROUND_TRIP", 10)
    store = RedisTimelineStore(functions, 10)
    users = list(range(1, 200))
    for user in users:
        materialize(store, user)
    post = fresh(1)[0]
    calls = []
    assert store.fan_out([(post, Audience(users))], progress=lambda: calls.append(1)) == len(users)
    assert calls  # called between round trips
    assert all(store.page(u, None, 1).ids == [post] for u in users)


def test_a_failing_call_fails_a_long_fan_out_and_leaves_nothing_running(functions, redis_client, monkeypatch):
    monkeypatch.setattr(audience, "KEYS_PER_ROUND_TRIP", 10)
    store = RedisTimelineStore(functions, 10)
    users = list(range(1, 100))
    for user in users:
        materialize(store, user)
    redis_client.delete(home_timeline_key(50))
    redis_client.set(home_timeline_key(50), "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        store.fan_out([(fresh(1)[0], Audience(users))])
    post = fresh(1)[0]
    users.remove(50)
    assert store.fan_out([(post, Audience(users))]) == len(users)  # the store is usable again at once


def test_the_first_round_trip_of_a_page_also_brings_the_read_time_sources(functions):
    store = RedisTimelineStore(functions, 10)
    read_time = RedisReadTimeSources(functions, 10)
    materialize(store, 1, fresh(2))
    page, sources = store.page_with_sources(read_time, 1, None, 5)
    assert page.state == "ready" and len(page.ids) == 2 and sources == frozenset()
    read_time.push([(Source(author_id=7), fresh(1)[0]), (Source(group_id=8), fresh(1)[0])])
    expected = {Source(author_id=7), Source(group_id=8)}
    assert store.page_with_sources(read_time, 1, None, 5)[1] == expected
    assert store.page_with_sources(read_time, 1, None, 5)[1] == expected  # answered by size alone


def test_posts_already_in_a_read_time_list_are_recognised(functions):
    read_time = RedisReadTimeSources(functions, 10)
    listed, other, unlisted = fresh(3)
    seven, nine = Source(author_id=7), Source(author_id=9)
    read_time.push([(seven, listed)])
    assert read_time.listed([(seven, listed), (seven, other), (nine, unlisted)]) == {listed}
    assert read_time.listed([(nine, other)]) == set()


def test_a_reader_from_before_the_registry_version_is_still_answered_during_a_rolling_upgrade(functions):
    read_time = RedisReadTimeSources(functions, 10)
    read_time.push([(Source(author_id=7), fresh(1)[0])])
    assert functions.call("tl_celebrities", [read_time_sources_key()], [-1]) == [1, b"7"]  # {size, members...}
    assert functions.call("tl_celebrities", [read_time_sources_key()], [1]) == [1]


def test_a_timelines_repost_companion_stays_small_and_expires_with_it(functions, redis_client):
    """The repost id -> original id hash keeps only what the newest-40 window can still look up."""
    store = RedisTimelineStore(functions, 800)
    materialize(store, 7)
    redis_client.expire(home_timeline_key(7), 600)
    for _ in range(300):
        original, repost_id = fresh(2)
        store.fan_out_reposts([(repost_id, original, Audience([7]))])
    assert len(read_all(store, 7, page=100)) == 300
    companion = repost_index_key(home_timeline_key(7))
    assert 40 <= redis_client.hlen(companion) <= 48
    assert 0 < redis_client.ttl(companion) <= 600


# Spins inside Redis until its clock has moved by ARGV[1] microseconds, so that the next command of the same
# pipeline runs that much later on Redis's own clock (a client-side sleep cannot place it within a millisecond).
# KEYS[1], unused, routes it to the node of the key the pipeline works on (on a cluster).
_SPIN = """
local t = redis.call('TIME')
local until_us = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
repeat t = redis.call('TIME') until tonumber(t[1]) * 1000000 + tonumber(t[2]) >= until_us
return 0
"""


def test_a_backfill_in_a_timelines_last_millisecond_does_not_make_it_outlive_its_ttl(functions, redis_client):
    """A follow's backfill (tl_merge) rewrites the list and copied its remaining TTL with PTTL, which answers 0
    in the key's last millisecond: the rewritten list then had no TTL, and an inactive user's timeline stayed
    in Redis for good (seen in CI as test_an_inactive_user_is_skipped_at_fan_out... failing)."""
    store = RedisTimelineStore(functions, 10)
    posts = fresh(3)
    key = home_timeline_key(1)
    immortal = []
    for attempt in range(200):  # the merge lands 0.5 - 1.5 ms after the 1 ms expiry was set: some in its last ms
        redis_client.delete(key)
        materialize(store, 1, posts[:1])
        pipe = redis_client.pipeline(transaction=False)
        pipe.pexpire(key, 1)
        pipe.execute_command("EVAL", _SPIN, 1, key, 500 + attempt * 5)
        pipe.fcall("tl_merge", 1, key, 10, *posts[1:])
        pipe.execute()
        if redis_client.ttl(key) == -1:
            immortal.append(attempt)
    assert immortal == []


def test_a_repost_in_a_timelines_last_millisecond_leaves_no_companion_behind(functions, redis_client):
    """A repost's companion entry (repost id -> original) is given its list's remaining TTL, read with PTTL: in
    the list's last millisecond that is 0, and the companion hash was left with no TTL after its list went."""
    store = RedisTimelineStore(functions, 10)
    key, rkey = home_timeline_key(1), repost_index_key(home_timeline_key(1))
    kept = []
    for attempt in range(200):
        original, repost = fresh(2)
        redis_client.delete(key, rkey)
        materialize(store, 1, fresh(1))
        pipe = redis_client.pipeline(transaction=False)
        pipe.pexpire(key, 1)
        pipe.execute_command("EVAL", _SPIN, 1, key, 500 + attempt * 5)
        pipe.fcall("tl_repost", 2, key, rkey, 10, TIMELINE_SLACK, repost, original, 1)
        pipe.execute()
        if redis_client.exists(rkey) and redis_client.ttl(rkey) == -1:
            kept.append(attempt)
    assert kept == []
