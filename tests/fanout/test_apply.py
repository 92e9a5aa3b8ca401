"""apply_plan, a plan built from facts and written without a store at hand: on the in-memory timeline
stores (unit) and on a real redis-server (the same tests)."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.events import Envelope, Followed, PostCreated, PostDeleted, Unfollowed
from feed.fanout.apply import apply_plan
from feed.fanout.plan import plan_fanout
from feed.fanout.resolve import Edge, Facts
from feed.ids import IdGenerator
from feed.timeline.sources import ReadTimeSources, RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore, TimelineStore
from tests.timeline.in_memory import InMemoryReadTimeSources, InMemoryTimelineStore

ids = IdGenerator(node=3)
MAX = 50


@pytest.fixture(params=["in_memory", pytest.param("redis", marks=pytest.mark.integration)])
def stores(request) -> tuple[TimelineStore, ReadTimeSources]:
    """A timeline store and read-time sources of one backend, both empty."""
    if request.param == "in_memory":
        return InMemoryTimelineStore(MAX), InMemoryReadTimeSources(MAX)
    functions = request.getfixturevalue("functions")  # an emptied redis-server
    return RedisTimelineStore(functions, MAX), RedisReadTimeSources(functions, MAX)


def env(event) -> Envelope:
    return Envelope("e", 0, event)


def materialize(timelines: TimelineStore, user: int, post_ids=(), org_id: int = 0) -> None:
    assert timelines.begin_rebuild(user, org_id)
    timelines.finish_rebuild(user, sorted(post_ids, reverse=True), True, org_id)


def home(timelines: TimelineStore, user: int, org_id: int = 0) -> list[int]:
    page = timelines.page(user, None, MAX, org_id)
    assert page.state == "ready"
    return page.ids


def test_a_plan_lands_posts_deletes_backfills_and_unfollows_in_the_timelines_users_read(stores):
    timelines, read_time = stores
    old, theirs, *backfill = (ids.next_id() for _ in range(4))  # older than the post of this batch
    new = ids.next_id()
    materialize(timelines, 1, [old])  # the author
    materialize(timelines, 2, [old, theirs])  # follows 1, unfollowed 6 (whose post is `theirs`)
    materialize(timelines, 3, [old])  # follows 1, has just followed 5
    events = [
        env(PostDeleted(old, 1)),
        env(PostCreated(new, 1)),
        env(Followed(3, 5)),
        env(Unfollowed(2, 6)),
    ]
    known = Facts(
        followers={Source(author_id=1): [2, 3]},
        live_posts={new},
        following={Edge(3, 5)},
        backfill_posts={Source(author_id=5): sorted(backfill, reverse=True)},
        unmerge_posts={Source(author_id=6): [theirs]},
        delete_audiences={Source(author_id=1): [[2, 3]]},
    )
    landed = apply_plan(timelines, read_time, plan_fanout(events, known))
    assert landed == 3
    assert home(timelines, 1) == [new]
    assert home(timelines, 2) == [new]
    assert home(timelines, 3) == [new, *sorted(backfill, reverse=True)]


def test_a_read_time_post_goes_to_its_sources_list_and_the_author_only(stores):
    timelines, read_time = stores
    materialize(timelines, 1, org_id=4)
    materialize(timelines, 2, org_id=4)  # a follower of 1: reads 1's list, receives nothing
    post = ids.next_id()
    known = Facts(followers={}, live_posts={post}, following=set(), read_time={Source(author_id=1): 5000})
    apply_plan(timelines, read_time, plan_fanout([env(PostCreated(post, 1, org_id=4))], known))
    assert read_time.registered(4) == {Source(author_id=1)}
    assert read_time.pages([Source(author_id=1)], None, MAX, 4)[0].ids == [post]
    assert home(timelines, 1, 4) == [post]
    assert home(timelines, 2, 4) == []


def test_applying_a_plan_again_after_a_crash_changes_nothing(stores):
    timelines, read_time = stores
    materialize(timelines, 1)
    materialize(timelines, 2)
    earlier, new = ids.next_id(), ids.next_id()
    events = [env(PostCreated(new, 1)), env(Followed(2, 9))]
    known = Facts(
        followers={Source(author_id=1): [2]},
        live_posts={new},
        following={Edge(2, 9)},
        backfill_posts={Source(author_id=9): [earlier]},
    )
    plan = plan_fanout(events, known)
    apply_plan(timelines, read_time, plan)
    assert (home(timelines, 1), home(timelines, 2)) == ([new], [new, earlier])
    apply_plan(timelines, read_time, plan)  # the batch redelivered
    assert (home(timelines, 1), home(timelines, 2)) == ([new], [new, earlier])
