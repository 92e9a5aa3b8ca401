"""PackedCalls against a real redis-server: answers in order, the library reloaded, errors kept in step."""

from __future__ import annotations

import pytest
import redis

from feed.ids import IdGenerator
from feed.redis.keys import home_timeline_key
from feed.redis.packed_calls import PackedCalls
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=4)


def materialized(functions, users) -> RedisTimelineStore:
    store = RedisTimelineStore(functions, 10)
    for user in users:
        assert store.begin_rebuild(user)
        store.finish_rebuild(user, [], complete=True)
    return store


def fanout_call(user: int, post: int):
    return ("tl_fanout", [home_timeline_key(user)], [10, 200, post, 1])


def test_answers_come_back_in_call_order(functions):
    materialized(functions, [1, 3])
    post = ids.next_id()
    calls = [fanout_call(1, post), fanout_call(2, post), fanout_call(3, post)]
    assert PackedCalls(functions).call_many(calls) == [1, 0, 1]  # user 2 has no timeline


def test_a_redis_that_lost_the_library_gets_it_back_and_the_calls_are_done(functions, redis_client):
    materialized(functions, [1])
    packed = PackedCalls(functions)
    packed.call_many([fanout_call(1, ids.next_id())])
    redis_client.function_flush()
    assert packed.call_many([fanout_call(1, ids.next_id())]) == [1]


def test_an_error_answer_is_raised_and_the_connection_stays_usable(functions, redis_client):
    materialized(functions, [1])
    redis_client.set(home_timeline_key(2), "not a list")
    packed = PackedCalls(functions)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        packed.call_many([fanout_call(2, ids.next_id()), fanout_call(1, ids.next_id())])
    assert packed.call_many([fanout_call(1, ids.next_id())]) == [1]  # no answer left unread


def test_nothing_to_call_makes_no_round_trip(functions):
    assert PackedCalls(functions).call_many([]) == []
