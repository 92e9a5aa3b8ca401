"""Apply: write a batch's plan to Redis in a few pipelined round trips."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from feed.fanout.plan import FanoutPlan, recipients
from feed.redis.keys import TIMELINE_SLACK
from feed.store.base import Store
from feed.timeline.audience import Audience
from feed.timeline.sources import group_source
from feed.timeline.store import CelebrityPosts, RedisTimelineStore


def apply_plan(
    timelines: RedisTimelineStore,
    celebrity_posts: CelebrityPosts,
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
    for org_id, pairs in _by_org(plan.celebrity_pushes).items():
        celebrity_posts.push(pairs, org_id)
    # One audience per source, whatever its number of posts; a group post's author is a
    # member (a former one no longer reads the group), so only author posts add the author.
    audiences: dict[tuple[int, int, int], Audience] = {}
    posts = []
    for fanout in plan.fanouts:
        source = fanout.source or fanout.author_id
        key = (fanout.org_id, source, fanout.author_id if source < 0 and not fanout.followers else 0)
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = Audience(recipients(fanout), fanout.org_id)
        posts.append((fanout.post_id, audience))
    landed = timelines.fan_out(posts, progress)
    for (org_id, users), post_ids in plan.removals.items():
        timelines.remove(users, post_ids, org_id)
    for org_id, pairs in _by_org(plan.celebrity_removals).items():
        celebrity_posts.remove(pairs, org_id)
    for follower, followee, org_id in plan.backfills:
        recent = store.posts.list_author_posts(followee, None, timelines.max_entries)
        # A celebrity's list is merged at read time: backfill only what was fanned out on
        # write, so the result does not depend on when the follow event is (re)played.
        read_time = celebrity_posts.ids(followee, org_id)
        timelines.merge(follower, [p.post_id for p in recent if p.post_id not in read_time], org_id)
    for follower, followee, org_id in plan.unmerges:
        theirs = store.posts.list_author_posts(followee, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([follower], [p.post_id for p in theirs], org_id)
    for user, group, org_id in plan.joins:
        recent = store.posts.list_group_posts(group, None, timelines.max_entries)
        read_time = celebrity_posts.ids(group_source(group), org_id)
        timelines.merge(user, [p.post_id for p in recent if p.post_id not in read_time], org_id)
    for user, group, org_id in plan.leaves:
        theirs = store.posts.list_group_posts(group, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([user], [p.post_id for p in theirs], org_id)
    return landed


def _by_org(items: Sequence[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """(source, post, org) triples as (source, post) pairs per organization."""
    grouped: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for source, post_id, org_id in items:
        grouped[org_id].append((source, post_id))
    return grouped
