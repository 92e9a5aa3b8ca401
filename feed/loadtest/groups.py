"""Groups in a generated trace: which exist in an organization, and who is a member when.

A replay sends each request at its due time whatever earlier ones are doing, so two
requests of one member a moment apart may reach the server in either order. A request
that needs membership (a post into a group, a read of a private one, an invitation)
therefore comes at least `settle_ms` after the join that made it, and a leave at least
`settle_ms` after the member's last such request and after their join; a user who left
rejoins only `settle_ms` later. The book tracks both times per member, and draws only
members for whom they hold; when none does, the caller writes a request that is always
valid instead. A group's creator is a member at once: every request naming the group
waits for its CreateGroup to answer. Nobody is added by someone else: a member's
invitation (a JoinGroup with inviter_id) is accepted by the invitee's own JoinGroup at
least `settle_ms` later, while the inviter is still a member (the only way into a private
group); the inviter then stays until `settle_ms` after the acceptance.
"""

from __future__ import annotations

import dataclasses
import random

from feed.loadtest.graph import DRAW_ATTEMPTS, SocialGraph
from feed.loadtest.trace import Record

GROUP_POOL_MAX = 1_000  # groups per organization later requests may name; a forgotten one still exists
INVITE_SHARE = 0.25  # of joins of an open group, those made by a member inviting someone rather than by oneself


class Members:
    """A group's members with when each joined and last acted as a member; add, remove, draw in O(1)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._index: dict[int, int] = {}
        self.joined: dict[int, int] = {}
        self.used: dict[int, int] = {}

    def __contains__(self, user: int) -> bool:
        return user in self._index

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, user: int, t: int) -> None:
        if user not in self._index:
            self._index[user] = len(self.ids)
            self.ids.append(user)
            self.joined[user] = self.used[user] = t

    def remove(self, user: int) -> None:
        i = self._index.pop(user)
        last = self.ids.pop()
        if last != user:  # swap-remove: order does not matter
            self.ids[i] = last
            self._index[last] = i
        del self.joined[user], self.used[user]


@dataclasses.dataclass
class Group:
    """One group as the trace made it: named by its CreateGroup's ordinal."""

    ref: int
    private: bool
    members: Members = dataclasses.field(default_factory=Members)
    left: dict[int, int] = dataclasses.field(default_factory=dict)  # user -> when they last left
    # invitee -> (when, by whom) of invitations not yet accepted, oldest first
    invited: dict[int, tuple[int, int]] = dataclasses.field(default_factory=dict)


class GroupBook:
    """The groups of one organization; each method draws a request's fields and applies it to the book."""

    def __init__(self, graph: SocialGraph, rng: random.Random, settle_ms: int, private_share: float) -> None:
        self.graph, self.rng, self.settle = graph, rng, settle_ms
        self.private_share = private_share
        self.groups: list[Group] = []

    def create(self, t: int, ordinal: int) -> tuple[Group, Record]:
        creator = self.graph.popular_user(self.rng)  # the active accounts start groups too
        group = Group(ordinal, private=self.rng.random() < self.private_share)
        group.members.add(creator, t - self.settle)  # settled at once: requests naming it wait for the create
        if len(self.groups) >= GROUP_POOL_MAX:
            self.groups[self.rng.randrange(len(self.groups))] = group
        else:
            self.groups.append(group)
        visibility = "private" if group.private else "open"
        return group, {"creator_id": creator, "name": f"g{ordinal}", "visibility": visibility}

    def any_group(self) -> Group:
        return self.groups[self.rng.randrange(len(self.groups))]

    def settled_member(self, group: Group, t: int, leaving: bool = False) -> int | None:
        """A member whose join has settled (and, to leave, whose last member request has too)."""
        members = group.members
        for _ in range(DRAW_ATTEMPTS if members.ids else 0):
            user = members.ids[self.rng.randrange(len(members.ids))]
            if t - members.joined[user] >= self.settle and not (leaving and t - members.used[user] < self.settle):
                members.used[user] = t
                return user
        return None

    def newcomer(self, group: Group, t: int) -> int | None:
        """A user of the organization who is not a member, and did not leave it just now."""
        for _ in range(DRAW_ATTEMPTS):
            user = self.graph.any_user(self.rng)
            if user not in group.members and t - group.left.get(user, t - self.settle) >= self.settle:
                return user
        return None

    def invite(self, group: Group, user: int, t: int, inviter: int) -> Record:
        """inviter (a settled member) invites user, who is no member until they accept."""
        group.members.used[inviter] = t  # the inviter must stay a member until this is applied
        group.invited.pop(user, None)  # a newer invitation replaces the older, and queues last
        group.invited[user] = (t, inviter)
        return {"group_ref": group.ref, "user_id": user, "inviter_id": inviter}

    def join(self, group: Group, user: int, t: int) -> Record:
        """user joins by their own call: an open group, or one they were invited to (accepting)."""
        group.invited.pop(user, None)
        group.members.add(user, t)
        group.left.pop(user, None)
        return {"group_ref": group.ref, "user_id": user}

    def settled_invitee(self, group: Group, t: int) -> int | None:
        """The invitee of the group's oldest invitation if it can be accepted now: made at least
        settle_ms ago, by someone who has been a member since. One that never can is dropped."""
        if not group.invited:
            return None
        user = next(iter(group.invited))
        invited_at, inviter = group.invited[user]
        members = group.members
        if user in members or inviter not in members or members.joined[inviter] > invited_at:
            del group.invited[user]  # joined otherwise, or the inviter left: it would be NOT_FOUND
            return None
        if t - invited_at < self.settle:
            return None
        members.used[inviter] = t  # the inviter stays until the acceptance is applied
        return user

    def draw_join(self, t: int) -> Record | None:
        """An invitation accepted, or else a newcomer who joins or is invited."""
        group = self.any_group()
        invitee = self.settled_invitee(group, t)
        if invitee is not None:
            return self.join(group, invitee, t)
        user = self.newcomer(group, t)
        if user is None:
            return None
        if group.private or self.rng.random() < INVITE_SHARE:
            inviter = self.settled_member(group, t)
            if inviter:
                return self.invite(group, user, t, inviter)
            if group.private:
                return None
        return self.join(group, user, t)

    def draw_leave(self, t: int) -> Record | None:
        group = self.any_group()
        if len(group.members) < 2:  # the last member stays: a private group nobody is in could never be named
            return None
        user = self.settled_member(group, t, leaving=True)
        if user is None:
            return None
        group.members.remove(user)
        group.left[user] = t
        return {"group_ref": group.ref, "user_id": user}

    def reader(self, group: Group, t: int) -> int | None:
        """Who may read the group now: anyone in the organization if it is open, a settled member if not."""
        return self.settled_member(group, t) if group.private else self.graph.any_user(self.rng)

    def may_read(self, group: Group, user: int, t: int) -> bool:
        """Whether user may read the group now (a next page of it); marks the member's use."""
        if not group.private:
            return True
        if user not in group.members or t - group.members.joined[user] < self.settle:
            return False
        group.members.used[user] = t
        return True


def seed_members(book: GroupBook, group: Group, mean: float) -> list[int]:
    """The users who join a new group at the start of the trace: about `mean` of the organization."""
    graph, rng = book.graph, book.rng
    wanted = min(graph.users - 1, round(rng.expovariate(1.0 / mean))) if mean > 0 else 0
    creator = group.members.ids[0]
    ranks = rng.sample(range(graph.users), min(graph.users, wanted + 1))
    return [user for user in map(graph.user, ranks) if user != creator][:wanted]
