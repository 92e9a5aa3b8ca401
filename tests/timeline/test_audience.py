"""Building fan-out calls is pure: keys grouped by shard, posts oldest first, calls and pipelines bounded."""

from __future__ import annotations

from feed.redis.keys import TIMELINE_SHARDS, home_timeline_key, timeline_shard
from feed.timeline import audience
from feed.timeline.audience import Audience, fanout_calls


def deliveries(pipelines) -> list[tuple[str, int]]:
    """(key, post) for every delivery the calls make, in call order."""
    out = []
    for pipeline in pipelines:
        for name, keys, args in pipeline:
            assert name == "tl_fanout"
            pairs = list(zip(args[2::2], args[3::2], strict=True))
            assert sum(n for _, n in pairs) == len(keys)
            at = 0
            for post, n in pairs:
                out += [(key, post) for key in keys[at : at + n]]
                at += n
    return out


def test_an_audience_groups_keys_by_shard_once_per_user():
    users = [1, 1 + TIMELINE_SHARDS, 2, 1]
    group = Audience(users)
    assert len(group) == 3
    assert group.by_shard == {
        timeline_shard(1): [home_timeline_key(1), home_timeline_key(1 + TIMELINE_SHARDS)],
        timeline_shard(2): [home_timeline_key(2)],
    }


def test_every_delivery_is_made_once_and_each_call_stays_within_one_shard():
    posts = [(300, Audience(range(1, 50))), (100, Audience(range(40, 90)))]
    pipelines = list(fanout_calls(posts, 800, 200))
    expected = {(home_timeline_key(u), 300) for u in range(1, 50)}
    expected |= {(home_timeline_key(u), 100) for u in range(40, 90)}
    made = deliveries(pipelines)
    assert sorted(made) == sorted(expected)
    for pipeline in pipelines:
        for _, keys, args in pipeline:
            assert len({key.split("}")[0] for key in keys}) == 1  # one hash tag: one slot
            assert args[:2] == [800, 200]


def test_a_timeline_gets_the_posts_of_a_batch_oldest_first():
    shared = Audience([7])
    made = deliveries(fanout_calls([(30, shared), (10, shared), (20, shared)], 800, 200))
    assert [post for _, post in made] == [10, 20, 30]


def test_a_post_to_many_followers_is_one_id_and_many_keys_per_call():
    users = [5 + TIMELINE_SHARDS * k for k in range(10)]  # one shard
    [[(_, keys, args)]] = list(fanout_calls([(42, Audience(users))], 800, 200))
    assert args == [800, 200, 42, 10]
    assert keys == [home_timeline_key(u) for u in users]


def test_calls_and_pipelines_are_bounded(monkeypatch):
    monkeypatch.setattr(audience, "KEYS_PER_CALL", 4)
    monkeypatch.setattr(audience, "KEYS_PER_ROUND_TRIP", 8)
    users = [3 + TIMELINE_SHARDS * k for k in range(10)] + [4 + TIMELINE_SHARDS * k for k in range(10)]
    pipelines = list(fanout_calls([(1, Audience(users)), (2, Audience(users))], 800, 200))
    assert all(len(keys) <= 4 for pipeline in pipelines for _, keys, _ in pipeline)
    assert all(sum(len(keys) for _, keys, _ in pipeline) < 4 * 8 + 4 for pipeline in pipelines)
    assert len(pipelines) > 1
    assert sorted(deliveries(pipelines)) == sorted((home_timeline_key(u), p) for u in users for p in (1, 2))


def test_nothing_to_deliver_makes_no_calls():
    assert list(fanout_calls([], 800, 200)) == []
    assert list(fanout_calls([(1, Audience([]))], 800, 200)) == []
