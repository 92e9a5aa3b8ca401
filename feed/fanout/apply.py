"""Apply: write a batch's plan to Redis in a few pipelined round trips."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from feed.domain import Source
from feed.fanout.plan import FanoutPlan, recipients
from feed.redis.keys import TIMELINE_SLACK
from feed.store.base import Store
from feed.timeline.audience import Audience
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import RedisTimelineStore


def apply_plan(
    timelines: RedisTimelineStore,
    read_time: ReadTimeSources,
    store: Store,
    plan: FanoutPlan,
    progress: Callable[[], None] | None = None,
) -> int:
    """Write a plan to Redis; return the number of timeline insertions that landed.

    progress() is called between round trips of a long fan-out (the worker keeps
    its consumer-group membership alive there).
    """
    # Register read-time sources before their posts go anywhere, so a reader that can see
    # such a post in the source's list also knows to merge that list.
    for org_id, pairs in _by_org(plan.read_time_pushes).items():
        read_time.push(pairs, org_id)
    # One audience per source, whatever its number of posts; a group post's author is a
    # member (a former one no longer reads the group), so only author posts add the author.
    audiences: dict[tuple[int, Source, int], Audience] = {}
    posts = []
    for fanout in plan.fanouts:
        lone_author = fanout.author_id if fanout.source.group_id and not fanout.followers else 0
        key = (fanout.org_id, fanout.source, lone_author)
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = Audience(recipients(fanout), fanout.org_id)
        posts.append((fanout.post_id, audience))
    landed = timelines.fan_out(posts, progress)
    for (org_id, users), post_ids in plan.removals.items():
        timelines.remove(users, post_ids, org_id)
    for org_id, pairs in _by_org(plan.read_time_removals).items():
        read_time.remove(pairs, org_id)
    for follower, followee, org_id in plan.backfills:
        recent = store.posts.list_author_posts(followee, None, timelines.max_entries)
        # A read-time source's list is merged at read time: backfill only what was fanned out
        # on write, so the result does not depend on when the follow event is (re)played.
        listed = read_time.ids(Source(author_id=followee), org_id)
        timelines.merge(follower, [p.post_id for p in recent if p.post_id not in listed], org_id)
    for follower, followee, org_id in plan.unmerges:
        theirs = store.posts.list_author_posts(followee, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([follower], [p.post_id for p in theirs], org_id)
    for user, group, org_id in plan.joins:
        recent = store.posts.list_group_posts(group, None, timelines.max_entries)
        listed = read_time.ids(Source(group_id=group), org_id)
        timelines.merge(user, [p.post_id for p in recent if p.post_id not in listed], org_id)
    for user, group, org_id in plan.leaves:
        theirs = store.posts.list_group_posts(group, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([user], [p.post_id for p in theirs], org_id)
    return landed


def _by_org(items: Sequence[tuple[Source, int, int]]) -> dict[int, list[tuple[Source, int]]]:
    """(source, post, org) triples as (source, post) pairs per organization."""
    grouped: dict[int, list[tuple[Source, int]]] = defaultdict(list)
    for source, post_id, org_id in items:
        grouped[org_id].append((source, post_id))
    return grouped
