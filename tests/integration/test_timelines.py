"""RedisTimelineStore against a real redis-server: ordering, bounds, idempotence, rebuild, fan-out calls."""

from __future__ import annotations

import pytest
import redis

from feed.domain import Source
from feed.ids import IdGenerator
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key
from feed.timeline import audience
from feed.timeline.audience import Audience
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import RedisTimelineStore, page_with_sources

pytestmark = pytest.mark.integration
ids = IdGenerator(node=1)


def fresh(n: int) -> list[int]:
    return [ids.next_id() for _ in range(n)]


def materialize(store: RedisTimelineStore, user: int, post_ids=(), complete=True) -> None:
    assert store.begin_rebuild(user)
    store.finish_rebuild(user, sorted(post_ids, reverse=True), complete)


def read_all(store: RedisTimelineStore, user: int, page: int = 7) -> list[int]:
    out: list[int] = []
    cursor = None
    for _ in range(1000):
        result = store.page(user, cursor, page)
        assert result.state == "ready"
        out += result.ids
        if not result.more:
            return out
        cursor = result.ids[-1]
    raise AssertionError("paging did not end")


def test_push_skips_timelines_that_are_not_materialized(functions):
    store = RedisTimelineStore(functions, 10)
    assert store.push([(1, ids.next_id())]) == 0
    assert store.page(1, None, 10).state == "missing"


def test_pushed_ids_read_back_newest_first(functions):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1)
    posts = fresh(5)
    assert store.push([(1, p) for p in posts]) == 5
    assert read_all(store, 1) == list(reversed(posts))


def test_out_of_order_and_duplicate_pushes_keep_the_list_sorted_and_unique(functions):
    store = RedisTimelineStore(functions, 50)
    materialize(store, 1)
    posts = fresh(20)
    shuffled = posts[10:] + posts[:10] + posts[5:15]
    store.push([(1, p) for p in shuffled])
    assert read_all(store, 1) == sorted(posts, reverse=True)


def test_timeline_is_bounded_and_keeps_the_newest(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1)
    posts = fresh(10 + TIMELINE_SLACK + 5)
    for p in posts:
        store.push([(1, p)])
    assert read_all(store, 1, page=3) == list(reversed(posts))[:10]
    assert redis_client.llen(home_timeline_key(1)) <= 10 + TIMELINE_SLACK


def test_old_id_is_not_added_below_a_truncated_tail(functions):
    store = RedisTimelineStore(functions, 3)
    old = ids.next_id()
    newer = fresh(3)
    materialize(store, 1, newer, complete=False)
    assert store.push([(1, old)]) == 0
    assert read_all(store, 1) == list(reversed(newer))


def test_old_id_is_added_to_a_complete_timeline(functions):
    store = RedisTimelineStore(functions, 10)
    old = ids.next_id()
    newer = fresh(2)
    materialize(store, 1, newer, complete=True)
    assert store.push([(1, old)]) == 1
    assert read_all(store, 1) == [*reversed(newer), old]


def test_empty_complete_timeline_exists(functions):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1, [])
    page = store.page(1, None, 5)
    assert page.state == "ready" and page.ids == [] and not page.more


def test_remove_takes_ids_out_of_every_listed_timeline(functions):
    store = RedisTimelineStore(functions, 10)
    posts = fresh(3)
    for user in (1, 2, 1025):  # 1 and 1025 share a shard
        materialize(store, user, posts)
    assert store.remove([1, 2, 1025, 3], [posts[1]]) == 3
    for user in (1, 2, 1025):
        assert read_all(store, user) == [posts[2], posts[0]]


def test_cursor_pages_are_stable_while_new_ids_arrive(functions):
    store = RedisTimelineStore(functions, 100)
    posts = fresh(10)
    materialize(store, 1, posts)
    first = store.page(1, None, 4)
    store.push([(1, p) for p in fresh(3)])  # newer posts land on top meanwhile
    second = store.page(1, first.ids[-1], 4)
    third = store.page(1, second.ids[-1], 4)
    assert first.ids + second.ids + third.ids == list(reversed(posts))
    assert not third.more


def test_rebuild_is_claimed_once_and_readers_see_building(functions):
    store = RedisTimelineStore(functions, 10)
    assert store.begin_rebuild(7)
    assert not store.begin_rebuild(7)
    assert store.page(7, None, 5).state == "building"


def test_pushes_during_a_rebuild_survive_it(functions):
    store = RedisTimelineStore(functions, 10)
    snapshot = fresh(3)
    assert store.begin_rebuild(1)
    late = ids.next_id()
    assert store.push([(1, late)]) == 1  # fan-out lands while the snapshot is read
    store.finish_rebuild(1, list(reversed(snapshot)), complete=True)
    assert read_all(store, 1) == [late, *reversed(snapshot)]


def test_merge_backfills_a_materialized_timeline(functions):
    store = RedisTimelineStore(functions, 5)
    mine = fresh(2)
    theirs = fresh(4)
    materialize(store, 1, mine)
    assert store.merge(1, theirs)
    assert read_all(store, 1) == sorted(mine + theirs, reverse=True)[:5]
    assert not store.merge(2, theirs)  # not materialized: left for its rebuild


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


def test_a_fan_out_call_delivers_one_post_to_many_timelines_and_skips_missing_ones(functions):
    store = RedisTimelineStore(functions, 10)
    users = [1, 2, 1025, 2049]  # three share a shard
    for user in users[:3]:
        materialize(store, user)
    posts = fresh(2)
    assert store.fan_out([(p, Audience(users)) for p in reversed(posts)]) == 6
    for user in users[:3]:
        assert read_all(store, user) == list(reversed(posts))
    assert store.page(2049, None, 5).state == "missing"


def test_a_late_post_lands_in_its_place_and_a_replayed_one_changes_nothing(functions, redis_client):
    store = RedisTimelineStore(functions, 50)
    posts = fresh(40)
    materialize(store, 1, posts[::2], complete=True)
    late = posts[1::2]
    assert store.fan_out([(p, Audience([1])) for p in late]) == len(late)
    assert read_all(store, 1) == list(reversed(posts))
    before = redis_client.lrange(home_timeline_key(1), 0, -1)
    assert store.fan_out([(p, Audience([1])) for p in posts]) == 0  # every one already there, at any depth
    assert redis_client.lrange(home_timeline_key(1), 0, -1) == before


def test_a_full_timeline_trims_back_to_its_bound_once_past_the_slack(functions, redis_client):
    store = RedisTimelineStore(functions, 10)
    materialize(store, 1, fresh(10), complete=False)
    newer = fresh(TIMELINE_SLACK + 1)
    for post in newer:
        store.fan_out([(post, Audience([1]))])
    assert redis_client.llen(home_timeline_key(1)) == 10
    assert read_all(store, 1) == list(reversed(newer))[:10]


def test_a_long_fan_out_runs_several_pipelines_and_reports_progress(functions, monkeypatch):
    monkeypatch.setattr(audience, "KEYS_PER_ROUND_TRIP", 10)
    store = RedisTimelineStore(functions, 10)
    users = list(range(1, 200))
    for user in users:
        materialize(store, user)
    post = ids.next_id()
    calls = []
    assert store.fan_out([(post, Audience(users))], progress=lambda: calls.append(1)) == len(users)
    assert calls  # called between round trips
    assert all(store.page(u, None, 1).ids == [post] for u in users)


def test_the_first_round_trip_of_a_page_also_brings_the_read_time_sources(functions):
    store = RedisTimelineStore(functions, 10)
    read_time = ReadTimeSources(functions, 10)
    materialize(store, 1, fresh(2))
    page, sources = page_with_sources(store, read_time, 1, None, 5)
    assert page.state == "ready" and len(page.ids) == 2 and sources == frozenset()
    read_time.push([(Source(author_id=7), ids.next_id()), (Source(group_id=8), ids.next_id())])
    expected = {Source(author_id=7), Source(group_id=8)}
    assert page_with_sources(store, read_time, 1, None, 5)[1] == expected
    assert page_with_sources(store, read_time, 1, None, 5)[1] == expected  # answered by size alone


def test_posts_already_in_a_read_time_list_are_recognised(functions):
    read_time = ReadTimeSources(functions, 10)
    listed, other = ids.next_id(), ids.next_id()
    seven, nine = Source(author_id=7), Source(author_id=9)
    read_time.push([(seven, listed)])
    assert read_time.listed([(seven, listed), (seven, other), (nine, ids.next_id())]) == {listed}
    assert read_time.listed([(nine, other)]) == set()


def test_a_failing_call_fails_a_long_fan_out_and_leaves_nothing_running(functions, redis_client, monkeypatch):
    monkeypatch.setattr(audience, "KEYS_PER_ROUND_TRIP", 10)
    store = RedisTimelineStore(functions, 10)
    users = list(range(1, 100))
    for user in users:
        materialize(store, user)
    redis_client.delete(home_timeline_key(50))
    redis_client.set(home_timeline_key(50), "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        store.fan_out([(ids.next_id(), Audience(users))])
    post = ids.next_id()
    users.remove(50)
    assert store.fan_out([(post, Audience(users))]) == len(users)  # the store is usable again at once
