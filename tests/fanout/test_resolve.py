"""resolve against a real SQLite store and redis-server: every read a batch's plan needs, done up front."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from feed.domain import Post, Source
from feed.events import Envelope, Followed, GroupJoined, GroupLeft, PostCreated, PostDeleted, Unfollowed
from feed.fanout.apply import apply_plan
from feed.fanout.plan import Merge, plan_fanout
from feed.fanout.resolve import resolve
from feed.ids import IdGenerator
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=4)
MAX = 3  # a small timeline bound, so that "the newest MAX" leaves some posts out
THRESHOLD = 100


def env(event) -> Envelope:
    return Envelope("e", 0, event)


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def posts_of(store, author: int, count: int, group_id: int = 0) -> list[int]:
    """Store count posts of an author; their ids, newest first."""
    made = [ids.next_id() for _ in range(count)]
    for post_id in made:
        store.posts.create_post(Post(post_id, author, "hello", 0, group_id=group_id))
    return made[::-1]


def redis_calls(client) -> int:
    """Commands redis-server has run, INFO itself left out."""
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def test_a_follow_gets_the_followees_newest_posts_and_an_unfollow_more_of_them(store, functions):
    read_time = RedisReadTimeSources(functions, MAX)
    fives, sixes = posts_of(store, 5, 5), posts_of(store, 6, 5)
    store.graph.follow(1, 5)  # 2 follows nobody: the unfollow of 6 is stored
    events = [env(Followed(1, 5)), env(Unfollowed(2, 6))]
    facts = resolve(store, events, THRESHOLD, MAX, read_time)
    assert facts.backfill_posts == {Source(author_id=5): fives[:MAX]}
    # Up to MAX + TIMELINE_SLACK: what a timeline may still hold before it is trimmed.
    assert facts.unmerge_posts == {Source(author_id=6): sixes}


def test_a_join_gets_the_groups_newest_posts_and_a_leave_more_of_them(store, functions):
    read_time = RedisReadTimeSources(functions, MAX)
    in_50, in_51 = posts_of(store, 7, 4, group_id=50), posts_of(store, 7, 4, group_id=51)
    posts_of(store, 7, 2)  # the author's own posts belong to neither group
    store.orgs.add_member(50, 2)
    facts = resolve(store, [env(GroupJoined(50, 2)), env(GroupLeft(51, 3))], THRESHOLD, MAX, read_time)
    assert facts.backfill_posts == {Source(group_id=50): in_50[:MAX]}
    assert facts.unmerge_posts == {Source(group_id=51): in_51}


def test_a_backfill_leaves_out_what_the_followees_read_time_list_holds(store, functions):
    read_time = RedisReadTimeSources(functions, MAX)
    newest, middle, oldest = posts_of(store, 5, 3)
    read_time.push([(Source(author_id=5), newest)])  # posted while 5 was above the threshold
    store.graph.follow(1, 5)
    timelines = RedisTimelineStore(functions, MAX)
    assert timelines.begin_rebuild(1)
    timelines.finish_rebuild(1, [], True)
    events = [env(Followed(1, 5))]
    plan = plan_fanout(events, resolve(store, events, THRESHOLD, MAX, read_time))
    assert plan.merges == [Merge(1, 0, (middle, oldest))]
    apply_plan(timelines, read_time, plan)
    assert timelines.page(1, None, MAX).ids == [middle, oldest]


def test_a_delete_reaches_every_follower_even_of_an_author_now_read_time(store, functions):
    read_time = RedisReadTimeSources(functions, MAX)
    for follower in (2, 3):
        store.graph.follow(follower, 5)
    (new,) = posts_of(store, 5, 1)
    events = [env(PostCreated(new, 5)), env(PostDeleted(ids.next_id(), 5))]
    facts = resolve(store, events, 1, MAX, read_time)  # two followers: above a threshold of one
    assert facts.read_time == {Source(author_id=5): 2}
    audience = facts.delete_audiences[Source(author_id=5)]
    assert sorted(user for page in audience for user in page) == [2, 3]  # posts from before the threshold


def test_a_batch_of_posts_alone_lists_no_posts_and_costs_one_redis_call(store, functions, redis_client, monkeypatch):
    read_time = RedisReadTimeSources(functions, MAX)
    store.graph.follow(2, 5)
    events = [env(PostCreated(post_id, 5)) for post_id in posts_of(store, 5, 3)]

    def no_listing(*args):
        raise AssertionError("a batch of posts alone must not list anyone's posts")

    monkeypatch.setattr(store.posts, "list_author_posts", no_listing)
    monkeypatch.setattr(store.posts, "list_group_posts", no_listing)
    before = redis_calls(redis_client)
    facts = resolve(store, events, THRESHOLD, MAX, read_time)
    assert redis_calls(redis_client) - before == 1  # is any author a read-time source?
    assert facts.followers == {Source(author_id=5): [2]}
    assert facts.backfill_posts == {} and facts.unmerge_posts == {}


def test_a_full_registry_sends_a_new_source_above_the_threshold_to_fan_out_on_write(store, functions):
    read_time = RedisReadTimeSources(functions, MAX, max_sources=1)
    for follower in (2, 3):
        store.graph.follow(follower, 5)
        store.graph.follow(follower, 6)
    read_time.push([(Source(author_id=6), posts_of(store, 6, 1)[0])])  # 6 holds the only place
    events = [env(PostCreated(post_id, 5)) for post_id in posts_of(store, 5, 1)]
    refused = REGISTRY.get_sample_value("feed_read_time_sources_refused_total") or 0.0
    facts = resolve(store, events, 1, MAX, read_time)  # two followers: above a threshold of one
    assert facts.read_time == {} and facts.followers == {Source(author_id=5): [2, 3]}
    assert read_time.registered() == {Source(author_id=6)}
    assert REGISTRY.get_sample_value("feed_read_time_sources_refused_total") == refused + 1


def test_a_source_already_registered_is_read_time_even_with_the_registry_full(store, functions):
    read_time = RedisReadTimeSources(functions, MAX, max_sources=1)
    for follower in (2, 3):
        store.graph.follow(follower, 5)
    read_time.push([(Source(author_id=5), posts_of(store, 5, 1)[0])])
    events = [env(PostCreated(post_id, 5)) for post_id in posts_of(store, 5, 1)]
    assert resolve(store, events, 1, MAX, read_time).read_time == {Source(author_id=5): 2}
