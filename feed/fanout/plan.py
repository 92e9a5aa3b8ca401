"""Plan: the timeline changes a batch calls for, decided without I/O from the facts resolved for it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from feed.domain import Source
from feed.events import (
    DomainEvent,
    Envelope,
    Followed,
    GroupJoined,
    GroupLeft,
    PostCreated,
    PostDeleted,
    Unfollowed,
    fanout_view,
)
from feed.fanout.resolve import Edge, Facts, Membership, edge_source


@dataclasses.dataclass(frozen=True, slots=True)
class PostFanout:
    """One post to push into its author's timeline and every follower's (none: fanned out on read)."""

    post_id: int
    author_id: int
    source: Source  # whose audience `followers` is: the author's, or the group's
    followers: Sequence[int] = ()  # shared with the batch's Facts, never copied per post
    org_id: int = 0
    original_id: int = 0  # a repost (post_id is the repost's id): the post it shares (docs/reposts.md)


class Pushes:
    """A plan's timeline insertions as (user, post) pairs: sized and iterable without building them."""

    def __init__(self, fanouts: Sequence[PostFanout]) -> None:
        self._fanouts = fanouts

    def __len__(self) -> int:
        # Counted without building the lists: an author's followers can be a hundred thousand.
        return sum(len(f.followers) or 1 if f.source.group_id else len(f.followers) + 1 for f in self._fanouts)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for fanout in self._fanouts:
            for user in recipients(fanout):
                yield user, fanout.post_id


def recipients(fanout: PostFanout) -> Sequence[int]:
    """Whose timelines a post goes to: its author and the author's followers; a group's members
    (the author only when the group is fanned out on read)."""
    if fanout.source.group_id:
        return fanout.followers or [fanout.author_id]
    return [fanout.author_id, *fanout.followers]


@dataclasses.dataclass(frozen=True, slots=True)
class Removal:
    """Posts to take out of some timelines: an unfollow's or a leave's (the source's newest posts) from
    one user's."""

    org_id: int
    users: tuple[int, ...]
    post_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Deletion:
    """Deleted posts of one author and source, to take out of the author's timeline and out of the
    source's whole audience: pages of user ids, walked (from the store) only when applied."""

    org_id: int
    author_id: int
    post_ids: tuple[int, ...]
    audience: Iterable[Sequence[int]] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Merge:
    """Posts to merge into one user's timeline: a follow's or a join's backfill."""

    user_id: int
    org_id: int
    post_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ReadTimePost:
    """A post of a read-time source, to add to or remove from that source's list."""

    source: Source
    post_id: int
    org_id: int


@dataclasses.dataclass
class FanoutPlan:
    """The Redis changes one batch of events calls for."""

    fanouts: list[PostFanout] = dataclasses.field(default_factory=list)  # oldest post first
    removals: list[Removal] = dataclasses.field(default_factory=list)
    deletions: list[Deletion] = dataclasses.field(default_factory=list)
    merges: list[Merge] = dataclasses.field(default_factory=list)
    read_time_pushes: list[ReadTimePost] = dataclasses.field(default_factory=list)
    read_time_removals: list[ReadTimePost] = dataclasses.field(default_factory=list)
    skipped_read_time: int = 0  # audience deliveries left to fan-out on read

    @property
    def pushes(self) -> Pushes:
        """Every planned (user, post) insertion, lazily."""
        return Pushes(self.fanouts)

    @property
    def deliveries(self) -> int:
        return len(self.pushes)


def plan_fanout(envelopes: Sequence[Envelope], facts: Facts) -> FanoutPlan:
    """Decide the timeline changes for a batch; each author's posts reach the author too."""
    plan = FanoutPlan()
    events = [fanout_view(envelope.event) for envelope in envelopes]  # a repost as a post of the reposter's
    plan_posts(plan, events, facts)
    plan_graph(plan, events, facts)
    # Oldest first: a timeline receiving several posts of the batch then gets each on top.
    plan.fanouts.sort(key=lambda f: f.post_id)
    return plan


def plan_posts(plan: FanoutPlan, events: Sequence[DomainEvent], facts: Facts) -> None:
    """Plan the batch's created and deleted posts."""
    deleted_by_source: dict[tuple[int, Source, int], list[int]] = defaultdict(list)  # (org, source, author)
    for event in events:
        if isinstance(event, PostCreated):
            if event.post_id not in facts.live_posts:
                continue  # deleted before we got here: pushing it would only waste a slot
            source, org = event.source, event.org_id
            original = facts.originals.get(event.post_id, 0)
            if source in facts.read_time or event.post_id in facts.read_time_posts:
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, source, (), org, original))
                plan.read_time_pushes.append(ReadTimePost(source, event.post_id, org))
                plan.skipped_read_time += facts.read_time.get(source, 0)
            else:
                followers = facts.followers.get(source, ())
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, source, followers, org, original))
        elif isinstance(event, PostDeleted):
            deleted_by_source[(event.org_id, event.source, event.author_id)].append(event.post_id)
            plan.read_time_removals.append(ReadTimePost(event.source, event.post_id, event.org_id))
            for repost in facts.deleted_reposts.get(event.post_id, ()):  # its reposts go with it, everywhere
                reposter = Source(author_id=repost.reposter_id)
                deleted_by_source[(repost.org_id, reposter, repost.reposter_id)].append(repost.repost_id)
                plan.read_time_removals.append(ReadTimePost(reposter, repost.repost_id, repost.org_id))
    for (org, source, author), post_ids in deleted_by_source.items():
        plan.deletions.append(Deletion(org, author, tuple(post_ids), facts.delete_audiences.get(source, ())))


def plan_graph(plan: FanoutPlan, events: Sequence[DomainEvent], facts: Facts) -> None:
    """Plan the batch's follows and joins (backfills), unfollows and leaves (removals).

    Each is re-checked against the store's state when the batch was resolved: a
    follow undone since backfills nothing, and its unfollow event removes.
    """
    graph = [e for e in events if isinstance(e, Followed | Unfollowed | GroupJoined | GroupLeft)]
    if not graph:
        return  # the common batch: posts only
    # A read-time source's list is merged at read time: backfill only what was fanned out on write
    # (nor what this batch adds to a list), so the result does not depend on when the event is (re)played.
    on_read = facts.read_time_posts | {r.post_id for r in plan.read_time_pushes}
    for event in graph:
        if isinstance(event, Followed | Unfollowed):
            user, exists = event.follower_id, Edge(event.follower_id, event.followee_id) in facts.following
        else:
            user, exists = event.user_id, Membership(event.user_id, event.group_id) in facts.memberships
        source = edge_source(event)
        if isinstance(event, Followed | GroupJoined):
            if exists:
                backfill = tuple(p for p in facts.backfill_posts.get(source, ()) if p not in on_read)
                plan.merges.append(Merge(user, event.org_id, backfill))
        elif not exists:
            plan.removals.append(Removal(event.org_id, (user,), tuple(facts.unmerge_posts.get(source, ()))))
