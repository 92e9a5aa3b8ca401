"""Fan-out: plan who receives what (pure), then apply the plan in bulk.

Planning needs every fact up front (who follows the batch's authors, which of
them are celebrities, which posts are still live, which edges still exist),
fetched in bulk by `resolve`; `plan_fanout` then decides without I/O, so it is
tested without Redis or a store; `apply_plan` writes the plan with a few
pipelined round trips. Every step is idempotent, so a batch that is
redelivered after a crash changes nothing a user can see.

Hybrid fan-out: a post of an author with more followers than the celebrity
threshold reaches only the author's own timeline and the author's list of
celebrity posts; readers merge that list into their pages (fan-out on read).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

from feed.events import Envelope, Followed, PostCreated, PostDeleted, Unfollowed
from feed.redis_keys import TIMELINE_SLACK
from feed.store.base import Store
from feed.timelines import CelebrityPosts, RedisTimelineStore


@dataclasses.dataclass
class Facts:
    """What the store says now about the authors, posts and edges of one batch."""

    followers: dict[int, list[int]]  # author id -> follower ids (not fetched for celebrity posts)
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[tuple[int, int]]  # (follower, followee) edges of the batch's graph events that exist
    celebrities: dict[int, int] = dataclasses.field(default_factory=dict)  # author -> follower count


@dataclasses.dataclass
class FanoutPlan:
    """The Redis changes one batch of events calls for."""

    pushes: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (user, post)
    removals: dict[tuple[int, ...], list[int]] = dataclasses.field(default_factory=dict)  # users -> posts
    backfills: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)
    unmerges: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)
    celebrity_pushes: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (author, post)
    celebrity_removals: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (author, post)
    skipped_celebrity: int = 0  # follower deliveries left to fan-out on read

    @property
    def deliveries(self) -> int:
        return len(self.pushes)


def resolve(store: Store, envelopes: Sequence[Envelope], celebrity_threshold: int) -> Facts:
    """Fetch, in bulk, everything plan_fanout needs to know about a batch."""
    posting = {e.event.author_id for e in envelopes if isinstance(e.event, PostCreated)}
    deleting = {e.event.author_id for e in envelopes if isinstance(e.event, PostDeleted)}
    created = [e.event.post_id for e in envelopes if isinstance(e.event, PostCreated)]
    edges = {
        (e.event.follower_id, e.event.followee_id) for e in envelopes if isinstance(e.event, Followed | Unfollowed)
    }
    celebrities = {}
    for author in posting:
        count = store.graph.follower_count(author)
        if count > celebrity_threshold:
            celebrities[author] = count
    # Deletes reach every follower even of a celebrity: posts from before the author
    # crossed the threshold were fanned out on write. Deletes are rare; posts are not.
    wanted = (posting - celebrities.keys()) | deleting
    return Facts(
        followers={author: list(store.graph.iter_followers(author)) for author in wanted},
        live_posts=set(store.posts.get_posts(created)) if created else set(),
        following={edge for edge in edges if store.graph.is_following(*edge)},
        celebrities=celebrities,
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
            if event.author_id in facts.celebrities:
                plan.celebrity_pushes.append((event.author_id, event.post_id))
                plan.skipped_celebrity += facts.celebrities[event.author_id]
            else:
                plan.pushes.extend((f, event.post_id) for f in facts.followers.get(event.author_id, ()))
        elif isinstance(event, PostDeleted):
            deleted_by_author[event.author_id].append(event.post_id)
            plan.celebrity_removals.append((event.author_id, event.post_id))
        elif isinstance(event, Followed):
            if (event.follower_id, event.followee_id) in facts.following:
                plan.backfills.append((event.follower_id, event.followee_id))
        elif (event.follower_id, event.followee_id) not in facts.following:
            plan.unmerges.append((event.follower_id, event.followee_id))
    for author, post_ids in deleted_by_author.items():
        users = (author, *facts.followers.get(author, ()))
        plan.removals[users] = post_ids
    return plan


def apply_plan(timelines: RedisTimelineStore, celebrity_posts: CelebrityPosts, store: Store, plan: FanoutPlan) -> int:
    """Write a plan to Redis; return the number of timeline insertions that landed."""
    # Register celebrities before their posts go anywhere, so a reader that can see
    # such a post in the author's list also knows to merge that list.
    celebrity_posts.push(plan.celebrity_pushes)
    landed = timelines.push(plan.pushes)
    for users, post_ids in plan.removals.items():
        timelines.remove(users, post_ids)
    celebrity_posts.remove(plan.celebrity_removals)
    for follower, followee in plan.backfills:
        recent = store.posts.list_author_posts(followee, None, timelines.max_entries)
        # A celebrity's list is merged at read time: backfill only what was fanned out on
        # write, so the result does not depend on when the follow event is (re)played.
        read_time = celebrity_posts.ids(followee)
        timelines.merge(follower, [p.post_id for p in recent if p.post_id not in read_time])
    for follower, followee in plan.unmerges:
        theirs = store.posts.list_author_posts(followee, None, timelines.max_entries + TIMELINE_SLACK)
        timelines.remove([follower], [p.post_id for p in theirs])
    return landed
