"""Fan-out: plan who receives what (pure), then apply the plan in bulk.

Planning needs every fact up front (which posts are still live, who follows
whom right now), fetched in bulk by `resolve`; `plan_fanout` then decides
without I/O, so it is tested without Redis or a store; `apply_plan` does
one pipelined round trip per kind of change. Every step is idempotent, so a
batch that is redelivered after a crash changes nothing a user can see.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

from feed.events import Envelope, Followed, PostCreated, PostDeleted, Unfollowed
from feed.redis_keys import TIMELINE_SLACK
from feed.store.base import Store
from feed.timelines import RedisTimelineStore


@dataclasses.dataclass
class Facts:
    """What the store says now about the authors and posts of one batch."""

    followers: dict[int, list[int]]  # author id -> follower ids
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[tuple[int, int]]  # (follower, followee) edges of the batch's graph events that exist


@dataclasses.dataclass
class FanoutPlan:
    """The Redis changes one batch of events calls for."""

    pushes: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (user, post)
    removals: dict[tuple[int, ...], list[int]] = dataclasses.field(default_factory=dict)  # users -> posts
    backfills: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)
    unmerges: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)

    @property
    def deliveries(self) -> int:
        return len(self.pushes)


def resolve(store: Store, envelopes: Sequence[Envelope]) -> Facts:
    """Fetch, in bulk, everything plan_fanout needs to know about a batch."""
    authors = {e.event.author_id for e in envelopes if isinstance(e.event, PostCreated | PostDeleted)}
    created = [e.event.post_id for e in envelopes if isinstance(e.event, PostCreated)]
    edges = {
        (e.event.follower_id, e.event.followee_id) for e in envelopes if isinstance(e.event, Followed | Unfollowed)
    }
    return Facts(
        followers={author: list(store.graph.iter_followers(author)) for author in authors},
        live_posts=set(store.posts.get_posts(created)) if created else set(),
        following={edge for edge in edges if store.graph.is_following(*edge)},
    )


def plan_fanout(envelopes: Sequence[Envelope], facts: Facts) -> FanoutPlan:
    """Decide the timeline changes for a batch; each author's posts reach the author too."""
    plan = FanoutPlan()
    deleted_by_author: dict[int, list[int]] = defaultdict(list)
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, PostCreated):
            if event.post_id not in facts.live_posts:
                continue  # deleted before we got here: pushing it would only waste a slot
            plan.pushes.append((event.author_id, event.post_id))
            plan.pushes.extend((f, event.post_id) for f in facts.followers.get(event.author_id, ()))
        elif isinstance(event, PostDeleted):
            deleted_by_author[event.author_id].append(event.post_id)
        elif isinstance(event, Followed):
            if (event.follower_id, event.followee_id) in facts.following:
                plan.backfills.append((event.follower_id, event.followee_id))
        elif (event.follower_id, event.followee_id) not in facts.following:
            plan.unmerges.append((event.follower_id, event.followee_id))
    for author, post_ids in deleted_by_author.items():
        users = (author, *facts.followers.get(author, ()))
        plan.removals[users] = post_ids
    return plan


def apply_plan(timelines: RedisTimelineStore, store: Store, plan: FanoutPlan) -> int:
    """Write a plan to Redis; return the number of timeline insertions that landed."""
    landed = timelines.push(plan.pushes)
    for users, post_ids in plan.removals.items():
        timelines.remove(users, post_ids)
    for follower, followee in plan.backfills:
        recent = store.posts.list_author_posts(followee, None, timelines.max_entries)
        timelines.merge(follower, [p.post_id for p in recent])
    for follower, followee in plan.unmerges:
        theirs = store.posts.list_author_posts(followee, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([follower], [p.post_id for p in theirs])
    return landed
