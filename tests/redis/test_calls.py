"""The one Redis call policy, against real servers: the library restored, error answers raised,
a Redis that does not answer reported as Unavailable, every round trip timed by operation."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator

import pytest
import redis
from prometheus_client import REGISTRY

from feed.devstack.local import start_redis
from feed.devstack.procs import ManagedProcess
from feed.domain import Post
from feed.errors import Unavailable
from feed.ids import IdGenerator
from feed.redis.connection import RedisFunctions
from feed.redis.keys import home_timeline_key
from feed.redis.packed_calls import PackedCalls
from feed.redis.post_cache import RedisPostCache
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=8)


def page_call(user: int) -> tuple[str, list[str], list]:
    return ("tl_page", [home_timeline_key(user)], ["", 10, 800, 0])


def materialized(functions: RedisFunctions, user: int) -> None:
    store = RedisTimelineStore(functions, 800)
    assert store.begin_rebuild(user)
    store.finish_rebuild(user, [], complete=True)


def count(name: str, operation: str) -> float:
    return REGISTRY.get_sample_value(name, {"operation": operation}) or 0.0


def round_trips(operation: str) -> float:
    return count("feed_redis_operation_duration_seconds_count", operation)


def failures(operation: str) -> float:
    return count("feed_redis_operation_errors_total", operation)


def test_a_single_call_after_redis_lost_the_library_reloads_it_and_answers(functions, redis_client):
    materialized(functions, 1)
    redis_client.function_flush()  # as a Redis restarted empty would have it
    assert functions.call(*page_call(1)) == [2, 0]  # ready, empty: the timeline made before the loss
    assert redis_client.function_list()


def test_a_pipeline_after_redis_lost_the_library_reloads_it_and_answers_every_call(functions, redis_client):
    materialized(functions, 1)
    redis_client.function_flush()
    replies = functions.call_many([page_call(1), ("tl_ensure", [home_timeline_key(2)], [])])
    assert replies[1] == 1  # the list was created: the call ran once it found its function


def test_an_error_answer_is_raised_as_redis_gave_it(functions, redis_client):
    redis_client.set(home_timeline_key(5), "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        functions.call(*page_call(5))
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        functions.call_many([page_call(6), page_call(5)])


def test_each_round_trip_is_timed_under_its_operation(functions, redis_client):
    materialized(functions, 1)
    cache = RedisPostCache(redis_client, ttl_s=60)
    calls: dict[str, Callable[[], object]] = {
        "tl_page": lambda: functions.call(*page_call(1)),
        "pipeline": lambda: functions.call_many([page_call(1), ("tl_ensure", [home_timeline_key(2)], [])]),
        "tl_fanout": lambda: PackedCalls(functions).call_many(
            [("tl_fanout", [home_timeline_key(1)], [800, 200, ids.next_id(), 1])]
        ),
        "post_cache_get": lambda: cache.get_many([ids.next_id()]),
        "post_cache_mark_deleted": lambda: cache.mark_deleted(ids.next_id()),
    }
    for operation, call in calls.items():
        before = round_trips(operation)
        call()
        assert round_trips(operation) == before + 1, operation


@pytest.fixture
def lone_redis(tmp_path) -> Iterator[tuple[ManagedProcess, redis.Redis]]:
    """A redis-server of this test's own, which the test may stop, and a client quick to give up on it."""
    proc, url = start_redis(tmp_path)
    client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
    yield proc, client
    proc.signal(signal.SIGCONT)
    proc.stop()


def every_kind_of_call(functions: RedisFunctions) -> dict[str, Callable[[], object]]:
    """One call of each path to Redis, by operation label."""
    cache = RedisPostCache(functions.client, ttl_s=60)
    return {
        "function_load": functions.load,
        "tl_page": lambda: functions.call(*page_call(1)),
        "pipeline": lambda: functions.call_many([page_call(1), ("tl_ensure", [home_timeline_key(2)], [])]),
        "tl_fanout": lambda: PackedCalls(functions).call_many(
            [("tl_fanout", [home_timeline_key(1)], [800, 200, 1, 1])]
        ),
        "post_cache_get": lambda: cache.get_many([1]),
        "post_cache_fill": lambda: cache.fill([Post(1, 1, "a post", 1_700_000_000_000)]),
        "post_cache_mark_deleted": lambda: cache.mark_deleted(1),
    }


@pytest.mark.parametrize("fault", ["gone", "hung"])
def test_a_redis_that_does_not_answer_is_unavailable_on_every_path(fault, lone_redis):
    proc, client = lone_redis
    functions = RedisFunctions(client)
    materialized(functions, 1)  # the library loaded and a connection in the pool: then Redis goes
    if fault == "gone":
        proc.stop()
    else:
        proc.signal(signal.SIGSTOP)  # accepts connections, answers nothing
    for operation, call in every_kind_of_call(functions).items():
        before = failures(operation)
        with pytest.raises(Unavailable) as raised:
            call()
        assert isinstance(raised.value.__cause__, redis.ConnectionError | redis.TimeoutError), operation
        assert failures(operation) == before + 1, operation


def test_a_loaded_library_is_not_loaded_again(functions):
    materialized(functions, 1)
    before = round_trips("function_load")
    functions.call(*page_call(1))
    PackedCalls(functions).call_many([page_call(1)])
    assert round_trips("function_load") == before
