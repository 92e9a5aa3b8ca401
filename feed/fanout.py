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

Group posts take the same path with the group's members as the audience: a
post's "source" is its author, or minus its group's id. A group with more
members than the threshold (an organization's announcements group, typically)
is fanned out on read like a celebrity. Every event names its organization,
which the Redis keys it touches carry.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from feed.audience import Audience
from feed.celebrities import group_source
from feed.events import Envelope, Followed, GroupJoined, GroupLeft, PostCreated, PostDeleted, Unfollowed
from feed.redis_keys import TIMELINE_SLACK
from feed.store.base import Store, walk_pages
from feed.timelines import CelebrityPosts, RedisTimelineStore

FOLLOWER_PAGE = 10_000  # followers per store query while resolving a batch


@dataclasses.dataclass
class Facts:
    """What the store says now about the authors, posts and edges of one batch."""

    followers: dict[int, list[int]]  # source -> its audience: followers, or members (none for read-time sources)
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[tuple[int, int]]  # (follower, followee) edges of the batch's graph events that exist
    celebrities: dict[int, int] = dataclasses.field(default_factory=dict)  # read-time source -> audience size
    # Posts already in their source's read-time list: fanned out on read once, so for good,
    # even if the source has since fallen under the threshold (a replay must not push them).
    read_time_posts: set[int] = dataclasses.field(default_factory=set)
    # (user, group) pairs of the batch's join and leave events that are memberships now
    memberships: set[tuple[int, int]] = dataclasses.field(default_factory=set)


@dataclasses.dataclass(frozen=True, slots=True)
class PostFanout:
    """One post to push into its author's timeline and every follower's (none: fanned out on read)."""

    post_id: int
    author_id: int
    followers: Sequence[int] = ()  # shared with the batch's Facts, never copied per post
    source: int = 0  # whose audience `followers` is: the author (0 or the author id) or minus a group id
    org_id: int = 0


class Pushes:
    """A plan's timeline insertions as (user, post) pairs: sized and iterable without building them."""

    def __init__(self, fanouts: Sequence[PostFanout]) -> None:
        self._fanouts = fanouts

    def __len__(self) -> int:
        # Counted without building the lists: an author's followers can be a hundred thousand.
        return sum(len(f.followers) + 1 if f.source >= 0 else len(f.followers) or 1 for f in self._fanouts)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for fanout in self._fanouts:
            for user in recipients(fanout):
                yield user, fanout.post_id


def recipients(fanout: PostFanout) -> Sequence[int]:
    """Whose timelines a post goes to: its author and the author's followers; a group's members
    (the author only when the group is fanned out on read)."""
    if fanout.source >= 0:
        return [fanout.author_id, *fanout.followers]
    return fanout.followers or [fanout.author_id]


@dataclasses.dataclass
class FanoutPlan:
    """The Redis changes one batch of events calls for."""

    fanouts: list[PostFanout] = dataclasses.field(default_factory=list)  # oldest post first
    # (org, users) -> posts to remove from those users' timelines
    removals: dict[tuple[int, tuple[int, ...]], list[int]] = dataclasses.field(default_factory=dict)
    backfills: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (follower, followee, org)
    unmerges: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (follower, followee, org)
    joins: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (user, group, org): backfill
    leaves: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (user, group, org): remove
    celebrity_pushes: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (source, post, org)
    celebrity_removals: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (source, post, org)
    skipped_celebrity: int = 0  # audience deliveries left to fan-out on read

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
    posts = [e.event for e in envelopes if isinstance(e.event, PostCreated)]
    posting = {p.source for p in posts}
    deleting = {e.event.source for e in envelopes if isinstance(e.event, PostDeleted)}
    edges = {
        (e.event.follower_id, e.event.followee_id) for e in envelopes if isinstance(e.event, Followed | Unfollowed)
    }
    joins = {(e.event.user_id, e.event.group_id) for e in envelopes if isinstance(e.event, GroupJoined | GroupLeft)}
    counts = {source: audience_size(store, source) for source in posting}
    celebrities = {source: count for source, count in counts.items() if count > celebrity_threshold}
    read_time: set[int] = set()
    if celebrity_posts is not None:
        by_org: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for post in posts:
            if post.source not in celebrities:
                by_org[post.org_id].append((post.source, post.post_id))
        for org_id, pairs in by_org.items():
            read_time |= celebrity_posts.listed(pairs, org_id)
    # Deletes reach every follower even of a celebrity: posts from before the author
    # crossed the threshold were fanned out on write. Deletes are rare; posts are not.
    wanted = (posting - celebrities.keys()) | deleting
    return Facts(
        followers={source: audience_of(store, source) for source in wanted},
        live_posts=set(store.posts.get_posts([p.post_id for p in posts])) if posts else set(),
        following={edge for edge in edges if store.graph.is_following(*edge)},
        celebrities=celebrities,
        read_time_posts=read_time,
        memberships={(user, group) for user, group in joins if store.orgs.is_member(group, user)},
    )


def audience_size(store: Store, source: int) -> int:
    """How many timelines a post of this source goes to: the author's followers or the group's members."""
    return store.graph.follower_count(source) if source > 0 else store.orgs.member_count(-source)


def audience_of(store: Store, source: int) -> list[int]:
    """Every follower of an author, or every member of a group (source = minus its id)."""
    if source > 0:
        return all_followers(store, source)
    return list(walk_pages(lambda token: store.orgs.list_members(-source, FOLLOWER_PAGE, token)))


def all_followers(store: Store, author_id: int) -> list[int]:
    """Every follower of an author, FOLLOWER_PAGE at a time.

    Pages of the store's list_followers rather than iter_followers: the timed
    store wraps iteration item by item, which costs more than the query itself
    for an author with a hundred thousand followers.
    """
    return list(walk_pages(lambda token: store.graph.list_followers(author_id, FOLLOWER_PAGE, token)))


def plan_fanout(envelopes: Sequence[Envelope], facts: Facts) -> FanoutPlan:
    """Decide the timeline changes for a batch; each author's posts reach the author too."""
    plan = FanoutPlan()
    deleted_by_source: dict[tuple[int, int, int], list[int]] = defaultdict(list)  # (org, source, author)
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, PostCreated):
            if event.post_id not in facts.live_posts:
                continue  # deleted before we got here: pushing it would only waste a slot
            source, org = event.source, event.org_id
            if source in facts.celebrities or event.post_id in facts.read_time_posts:
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, (), source, org))
                plan.celebrity_pushes.append((source, event.post_id, org))
                plan.skipped_celebrity += facts.celebrities.get(source, 0)
            else:
                followers = facts.followers.get(source, ())
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, followers, source, org))
        elif isinstance(event, PostDeleted):
            deleted_by_source[(event.org_id, event.source, event.author_id)].append(event.post_id)
            plan.celebrity_removals.append((event.source, event.post_id, event.org_id))
        elif isinstance(event, Followed):
            if (event.follower_id, event.followee_id) in facts.following:
                plan.backfills.append((event.follower_id, event.followee_id, event.org_id))
        elif isinstance(event, Unfollowed):
            if (event.follower_id, event.followee_id) not in facts.following:
                plan.unmerges.append((event.follower_id, event.followee_id, event.org_id))
        elif isinstance(event, GroupJoined):
            if (event.user_id, event.group_id) in facts.memberships:
                plan.joins.append((event.user_id, event.group_id, event.org_id))
        elif (event.user_id, event.group_id) not in facts.memberships:
            plan.leaves.append((event.user_id, event.group_id, event.org_id))
    for (org, source, author), post_ids in deleted_by_source.items():
        users = (author, *facts.followers.get(source, ()))
        plan.removals[(org, users)] = post_ids
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
