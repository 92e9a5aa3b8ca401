"""Fan-out: plan who receives what (pure), then apply the plan in bulk.

Planning needs every fact up front (who follows the batch's authors, which of
them are celebrities, which posts are still live, which edges still exist),
fetched in bulk by `resolve`; `plan_fanout` then decides without I/O, so it is
tested without Redis or a store; `apply_plan` writes the plan with a few
pipelined round trips. Every step is idempotent, so a batch that is
redelivered after a crash changes nothing a user can see.

A plan never lists deliveries one by one: a post carries a reference to its
author's follower list, and applying turns each author's followers into
timeline keys once per batch (feed/audience.py), however many posts they made.

Hybrid fan-out: a post of an author with more followers than the celebrity
threshold reaches only the author's own timeline and the author's list of
celebrity posts; readers merge that list into their pages (fan-out on read).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from feed.audience import Audience
from feed.events import Envelope, Followed, PostCreated, PostDeleted, Unfollowed
from feed.redis_keys import TIMELINE_SLACK
from feed.store.base import Store
from feed.timelines import CelebrityPosts, RedisTimelineStore

FOLLOWER_PAGE = 10_000  # followers per store query while resolving a batch


@dataclasses.dataclass
class Facts:
    """What the store says now about the authors, posts and edges of one batch."""

    followers: dict[int, list[int]]  # author id -> follower ids (not fetched for celebrity posts)
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[tuple[int, int]]  # (follower, followee) edges of the batch's graph events that exist
    celebrities: dict[int, int] = dataclasses.field(default_factory=dict)  # author -> follower count
    # Posts already in their author's celebrity list: fanned out on read once, so for good,
    # even if the author has since fallen under the threshold (a replay must not push them).
    read_time_posts: set[int] = dataclasses.field(default_factory=set)


@dataclasses.dataclass(frozen=True, slots=True)
class PostFanout:
    """One post to push into its author's timeline and every follower's (none: fanned out on read)."""

    post_id: int
    author_id: int
    followers: Sequence[int] = ()  # shared with the batch's Facts, never copied per post


class Pushes:
    """A plan's timeline insertions as (user, post) pairs: sized and iterable without building them."""

    def __init__(self, fanouts: Sequence[PostFanout]) -> None:
        self._fanouts = fanouts

    def __len__(self) -> int:
        return sum(1 + len(f.followers) for f in self._fanouts)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for fanout in self._fanouts:
            yield fanout.author_id, fanout.post_id
            for follower in fanout.followers:
                yield follower, fanout.post_id


@dataclasses.dataclass
class FanoutPlan:
    """The Redis changes one batch of events calls for."""

    fanouts: list[PostFanout] = dataclasses.field(default_factory=list)  # oldest post first
    removals: dict[tuple[int, ...], list[int]] = dataclasses.field(default_factory=dict)  # users -> posts
    backfills: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)
    unmerges: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (follower, followee)
    celebrity_pushes: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (author, post)
    celebrity_removals: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (author, post)
    skipped_celebrity: int = 0  # follower deliveries left to fan-out on read

    @property
    def pushes(self) -> Pushes:
        """Every planned (user, post) insertion, lazily."""
        return Pushes(self.fanouts)

    @property
    def deliveries(self) -> int:
        return len(self.pushes)


def resolve(
    store: Store,
    envelopes: Sequence[Envelope],
    celebrity_threshold: int,
    celebrity_posts: CelebrityPosts | None = None,
) -> Facts:
    """Fetch, in bulk, everything plan_fanout needs to know about a batch."""
    posting = {e.event.author_id for e in envelopes if isinstance(e.event, PostCreated)}
    deleting = {e.event.author_id for e in envelopes if isinstance(e.event, PostDeleted)}
    created = [e.event.post_id for e in envelopes if isinstance(e.event, PostCreated)]
    edges = {
        (e.event.follower_id, e.event.followee_id) for e in envelopes if isinstance(e.event, Followed | Unfollowed)
    }
    counts = {author: store.graph.follower_count(author) for author in posting}
    celebrities = {author: count for author, count in counts.items() if count > celebrity_threshold}
    read_time: set[int] = set()
    if celebrity_posts is not None:
        below = [(e.event.author_id, e.event.post_id) for e in envelopes if isinstance(e.event, PostCreated)]
        read_time = celebrity_posts.listed([(a, p) for a, p in below if a not in celebrities])
    # Deletes reach every follower even of a celebrity: posts from before the author
    # crossed the threshold were fanned out on write. Deletes are rare; posts are not.
    wanted = (posting - celebrities.keys()) | deleting
    return Facts(
        followers={author: all_followers(store, author) for author in wanted},
        live_posts=set(store.posts.get_posts(created)) if created else set(),
        following={edge for edge in edges if store.graph.is_following(*edge)},
        celebrities=celebrities,
        read_time_posts=read_time,
    )


def all_followers(store: Store, author_id: int) -> list[int]:
    """Every follower of an author, FOLLOWER_PAGE at a time.

    Pages of the store's list_followers rather than iter_followers: the timed
    store wraps iteration item by item, which costs more than the query itself
    for an author with a hundred thousand followers.
    """
    followers: list[int] = []
    token: str | None = None
    while True:
        page = store.graph.list_followers(author_id, FOLLOWER_PAGE, token)
        followers += page.ids
        if page.next_token is None:
            return followers
        token = page.next_token


def plan_fanout(envelopes: Sequence[Envelope], facts: Facts) -> FanoutPlan:
    """Decide the timeline changes for a batch; each author's posts reach the author too."""
    plan = FanoutPlan()
    deleted_by_author: dict[int, list[int]] = defaultdict(list)
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, PostCreated):
            if event.post_id not in facts.live_posts:
                continue  # deleted before we got here: pushing it would only waste a slot
            if event.author_id in facts.celebrities or event.post_id in facts.read_time_posts:
                plan.fanouts.append(PostFanout(event.post_id, event.author_id))
                plan.celebrity_pushes.append((event.author_id, event.post_id))
                plan.skipped_celebrity += facts.celebrities.get(event.author_id, 0)
            else:
                followers = facts.followers.get(event.author_id, ())
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, followers))
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
    # Oldest first: a timeline receiving several posts of the batch then gets each on top.
    plan.fanouts.sort(key=lambda f: f.post_id)
    return plan


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
    # Register celebrities before their posts go anywhere, so a reader that can see
    # such a post in the author's list also knows to merge that list.
    celebrity_posts.push(plan.celebrity_pushes)
    audiences: dict[int, Audience] = {}  # one per author, whatever their number of posts
    posts = []
    for fanout in plan.fanouts:
        audience = audiences.get(fanout.author_id)
        if audience is None:
            audience = audiences[fanout.author_id] = Audience([fanout.author_id, *fanout.followers])
        posts.append((fanout.post_id, audience))
    landed = timelines.fan_out(posts, progress)
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
