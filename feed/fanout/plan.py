"""Plan: the timeline changes a batch calls for, decided without I/O from the facts resolved for it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence

from feed.domain import Source
from feed.events import Envelope, Followed, GroupJoined, PostCreated, PostDeleted, Unfollowed
from feed.fanout.resolve import Facts


@dataclasses.dataclass(frozen=True, slots=True)
class PostFanout:
    """One post to push into its author's timeline and every follower's (none: fanned out on read)."""

    post_id: int
    author_id: int
    source: Source  # whose audience `followers` is: the author's, or the group's
    followers: Sequence[int] = ()  # shared with the batch's Facts, never copied per post
    org_id: int = 0


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
    read_time_pushes: list[tuple[Source, int, int]] = dataclasses.field(default_factory=list)  # (source, post, org)
    read_time_removals: list[tuple[Source, int, int]] = dataclasses.field(default_factory=list)  # (source, post, org)
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
    deleted_by_source: dict[tuple[int, Source, int], list[int]] = defaultdict(list)  # (org, source, author)
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, PostCreated):
            if event.post_id not in facts.live_posts:
                continue  # deleted before we got here: pushing it would only waste a slot
            source, org = event.source, event.org_id
            if source in facts.read_time or event.post_id in facts.read_time_posts:
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, source, (), org))
                plan.read_time_pushes.append((source, event.post_id, org))
                plan.skipped_read_time += facts.read_time.get(source, 0)
            else:
                followers = facts.followers.get(source, ())
                plan.fanouts.append(PostFanout(event.post_id, event.author_id, source, followers, org))
        elif isinstance(event, PostDeleted):
            deleted_by_source[(event.org_id, event.source, event.author_id)].append(event.post_id)
            plan.read_time_removals.append((event.source, event.post_id, event.org_id))
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
