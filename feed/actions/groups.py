"""Creating, joining and leaving groups inside one organization.

Joins and leaves change the durable store, then publish GroupJoined or
GroupLeft: the fan-out worker backfills the group's recent posts into the new
member's home timeline, or removes them from the leaver's. Reads never wait
for that: the read path shows a group's posts only to its members now.

Nobody is put into a group without their consent. JoinGroup naming another
user (inviter_id, a member, acting) records an invitation, which lapses after
FEED_GROUP_INVITE_TTL_S, and changes nothing else; the invitee joins by their
own JoinGroup, which for a private group (NOT_FOUND to non-members) succeeds
only through a live invitation whose inviter is still a member. An
organization's admin adds at once instead. Either way a block between inviter
and invitee, in either direction, stops it: inviting or adding is refused
(FAILED_PRECONDITION), and an invitation made before a block can no longer be
accepted (NOT_FOUND, as for a group that does not exist). Joining an open
group by oneself is one's own choice, and the read path hides the posts of
group members blocked either way.
"""

from __future__ import annotations

from collections.abc import Callable

from feed.access.groups import NAME_MAX_CHARS, GroupAccess, group_not_found
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RelationshipVersions
from feed.actions.sink import EventSink
from feed.config import Settings
from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group
from feed.errors import FailedPrecondition, FeedError, InvalidArgument, PermissionDenied
from feed.events import GroupJoined, GroupLeft
from feed.ids import IdGenerator, require_id
from feed.store.base import GraphStore, OrgStore

VISIBILITIES = (OPEN, PRIVATE)
# The same answer whichever of the two blocked the other: the inviter learns nothing they could not
# learn by following (which says who blocked whom) and the added user's block is not given away.
BLOCKED = "one of you has blocked the other; they cannot be added"


def group_name(raw: str) -> str:
    """The name without surrounding blanks, 1 to NAME_MAX_CHARS characters."""
    name = raw.strip()
    if not 1 <= len(name) <= NAME_MAX_CHARS:
        raise InvalidArgument(f"name must hold 1 to {NAME_MAX_CHARS} characters")
    return name


class GroupActions:
    """CreateGroup, JoinGroup, LeaveGroup."""

    def __init__(
        self,
        store: OrgStore,
        graph: GraphStore,
        access: GroupAccess,
        orgs: OrgDirectory,
        limiter: RedisRateLimiter,
        sink: EventSink,
        ids: IdGenerator,
        clock: Callable[[], int],
        invite_ttl_s: int = Settings.group_invite_ttl_s,
        *,
        versions: RelationshipVersions,
    ) -> None:
        """versions: every membership change sets the member's new relationship version after the
        store's commit and before the call answers (feed/access/versions.py)."""
        self._store = store
        self._versions = versions
        self._graph = graph
        self._access = access
        self._orgs = orgs
        self._limiter = limiter
        self._sink = sink
        self._ids = ids
        self._clock = clock
        self._invite_ttl_ms = invite_ttl_s * 1000

    def create(self, caller: Principal, creator_id: int, name: str, visibility: str) -> Group:
        """A new regular group in the caller's organization, with its creator as first member.

        visibility: OPEN or PRIVATE; anything else (the edge passes "" for an unknown value) is refused."""
        creator = require_id(creator_id, "creator_id")
        name = group_name(name)
        if visibility not in VISIBILITIES:
            raise InvalidArgument("visibility must be GROUP_VISIBILITY_OPEN or GROUP_VISIBILITY_PRIVATE")
        caller = caller.acting_as(creator, "creator_id")
        self._limiter.take(creator)
        group = Group(self._ids.next_id(), caller.org_id, name, visibility, REGULAR, creator, self._clock())
        self._store.create_group(group)
        self._store.add_member(group.group_id, creator)
        self._versions.bump([creator], caller.org_id)
        return group

    def join(self, caller: Principal, group_id: int, user_id: int, inviter_id: int = 0) -> None:
        """user_id joins the group by their own call, or inviter_id (a member, acting) invites them;
        an organization admin's invitation adds them at once."""
        group_id = require_id(group_id, "group_id")
        user = require_id(user_id, "user_id")
        inviter = require_id(inviter_id, "inviter_id") if inviter_id else 0
        if inviter and inviter != user:
            self._invite(caller.acting_as(inviter, "inviter_id"), group_id, user)
        else:
            self._join_self(caller.acting_as(user, "user_id"), group_id)

    def _invite(self, caller: Principal, group_id: int, user: int) -> None:
        group = self._access.visible(group_id, caller)
        if not self._access.is_member(group, caller.user_id):
            raise PermissionDenied("only members add others to a group")
        # NotFound for another organization's id, except in the default organization, where that
        # answer would tell "unknown" from "elsewhere": False there, and the call answers OK.
        known = self._orgs.require_user(user, caller)
        if self._blocked_either_way(caller.user_id, user):
            raise FailedPrecondition(BLOCKED)
        if group.kind == ANNOUNCEMENTS:
            return  # everyone of the organization is a member already
        self._limiter.take(caller.user_id)
        if caller.admin and known:
            self._add(group_id, user, caller.org_id, caller.user_id, FailedPrecondition(BLOCKED))
        else:
            # An id of no user of ours is invited too: it can never accept (the group is invisible to
            # it), and the answer stays the one a user of the organization gets.
            self._store.invite(group_id, user, caller.user_id, self._clock() + self._invite_ttl_ms)

    def _join_self(self, caller: Principal, group_id: int) -> None:
        user = caller.user_id
        group = self._access.in_org(group_id, caller)
        if group.kind == ANNOUNCEMENTS:
            return  # everyone of the organization is a member already
        inviter = 0
        if group.visibility == PRIVATE and not self._access.is_member(group, user):
            inviter = self._live_inviter(group, user)
        self._limiter.take(user)
        self._add(group_id, user, caller.org_id, inviter, group_not_found(group_id))
        if inviter:
            # After the membership: a crash between the two leaves the invitation to lapse (at worst it
            # lets the member back in once after leaving, as the inviter had meant anyway).
            self._store.remove_invitation(group_id, user)

    def _live_inviter(self, group: Group, user: int) -> int:
        """Who invited user into the private group, if that invitation lets them in now; else the
        group does not exist for them (whether uninvited, lapsed, or blocked either way)."""
        inviter = self._store.invitation(group.group_id, user, self._clock())
        if inviter is None or not self._access.is_member(group, inviter) or self._blocked_either_way(inviter, user):
            raise group_not_found(group.group_id)
        return inviter

    def _add(self, group_id: int, user: int, org_id: int, vouched_by: int, refusal: FeedError) -> None:
        """Add user with their GroupJoined; vouched_by (an inviter, or 0) must stay unblocked either way."""
        # Recorded on every call, so a retry finishes a join whose backfill never ran.
        added = self._store.add_member(group_id, user, [self._sink.entry(GroupJoined(group_id, user, org_id))])
        self._sink.recorded()
        self._versions.bump([user], org_id)
        # A block may have landed between the check and the write: look again, and undo (only a
        # membership this call made: one the user had already was their own choice).
        if vouched_by and added and self._blocked_either_way(vouched_by, user):
            self._store.remove_member(group_id, user, [self._sink.entry(GroupLeft(group_id, user, org_id))])
            self._sink.recorded()
            self._versions.bump([user], org_id)
            raise refusal

    def _blocked_either_way(self, a: int, b: int) -> bool:
        return self._graph.is_blocked(a, b) or self._graph.is_blocked(b, a)

    def leave(self, caller: Principal, group_id: int, user_id: int) -> None:
        """The caller leaves the group; nobody leaves their organization's announcements.

        Idempotent: leaving a group one is not in answers OK, so a retry after any failure
        finishes as the first call would. An unknown group, or another organization's, answers
        the same OK (nothing to leave), so the answer tells nothing about which it was."""
        group_id = require_id(group_id, "group_id")
        caller = caller.acting_as(require_id(user_id, "user_id"), "user_id")
        group = self._store.get_group(group_id)
        ours = group is not None and group.org_id == caller.org_id
        if ours and group.kind == ANNOUNCEMENTS:
            raise FailedPrecondition("nobody leaves their organization's announcements group")
        self._limiter.take(caller.user_id)
        if ours:
            event = GroupLeft(group_id, caller.user_id, caller.org_id)
            self._store.remove_member(group_id, caller.user_id, [self._sink.entry(event)])
            self._sink.recorded()
            self._versions.bump([caller.user_id], caller.org_id)
