"""A delete of an author with many followers, on a real SQLite store and redis-server: every follower's
timeline loses the post, in Redis calls of bounded size, with the worker's poll kept alive between them."""

from __future__ import annotations

import pytest

from feed.domain import Post
from feed.events import Envelope, PostDeleted
from feed.fanout import apply
from feed.fanout.apply import apply_plan
from feed.fanout.plan import plan_fanout
from feed.fanout.resolve import resolve
from feed.ids import IdGenerator
from feed.redis.keys import home_timeline_key
from feed.redis.post_cache import RedisPostCache
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=6)
MAX = 50
FOLLOWERS = 25_000
AUTHOR = 1


def test_deleting_a_post_of_an_author_with_25k_followers_removes_it_everywhere_in_bounded_calls(
    sqlite_store, functions, redis_client, monkeypatch
):
    followers = range(2, FOLLOWERS + 2)
    sqlite_store.graph.load_follows((user, AUTHOR) for user in followers)
    kept, gone = ids.next_id(), ids.next_id()
    post = Post(gone, AUTHOR, "oops", 0)
    sqlite_store.posts.create_post(post)
    pipe = redis_client.pipeline(transaction=False)
    for user in (AUTHOR, *followers):  # every timeline holds both posts, as after their fan-out
        pipe.rpush(home_timeline_key(user), gone, kept, "0")
    pipe.execute()
    cache = RedisPostCache(redis_client, 600)
    cache.fill([post])  # a live copy cached: the write service's tombstone never came
    sqlite_store.posts.delete_post(gone)

    keys_per_round_trip = []
    call_many = functions.call_many

    def counted(calls):
        keys_per_round_trip.append(sum(len(keys) for _, keys, _ in calls))
        return call_many(calls)

    monkeypatch.setattr(functions, "call_many", counted)
    kept_alive = []
    read_time = RedisReadTimeSources(functions, MAX)
    events = [Envelope("e", 0, PostDeleted(gone, AUTHOR))]
    plan = plan_fanout(events, resolve(sqlite_store, events, 10 * FOLLOWERS, MAX, read_time))
    apply_plan(RedisTimelineStore(functions, MAX), read_time, plan, lambda: kept_alive.append(1), cache)

    assert max(keys_per_round_trip) <= apply.REMOVE_BATCH
    assert len(kept_alive) >= FOLLOWERS // apply.REMOVE_BATCH
    pipe = redis_client.pipeline(transaction=False)
    for user in (AUTHOR, *followers):
        pipe.lrange(home_timeline_key(user), 0, -1)
    assert all(entries == [str(kept).encode(), b"0"] for entries in pipe.execute())
    assert cache.get_many([gone]) == ({}, {gone})  # tombstoned: no longer served
