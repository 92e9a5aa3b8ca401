"""GroupService: groups inside one organization (served by the write service).

Joins and leaves change the durable store, then publish GroupJoined or
GroupLeft: the fan-out worker backfills the group's recent posts into the new
member's home timeline, or removes them from the leaver's. Reads never wait
for that: the read path shows a group's posts only to its members now.
"""

from __future__ import annotations

from google.protobuf import empty_pb2

from feed.access.groups import NAME_MAX_CHARS, GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group
from feed.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from feed.events import GroupJoined, GroupLeft, new_envelope
from feed.ids import IdGenerator, now_ms, require_id
from feed.messaging.publisher import EventPublisher
from feed.page_tokens import unwrap_store_token, wrap_store_token
from feed.store import Store
from feed.v1 import group_service_pb2, group_service_pb2_grpc
from feed.validate import page_size
from services.auth import require_actor
from services.edge import rpc

LIST_PAGE_DEFAULT = 50
LIST_PAGE_MAX = 1000
VISIBILITY_IN = {
    group_service_pb2.GROUP_VISIBILITY_UNSPECIFIED: OPEN,
    group_service_pb2.GROUP_VISIBILITY_OPEN: OPEN,
    group_service_pb2.GROUP_VISIBILITY_PRIVATE: PRIVATE,
}
VISIBILITY_OUT = {OPEN: group_service_pb2.GROUP_VISIBILITY_OPEN, PRIVATE: group_service_pb2.GROUP_VISIBILITY_PRIVATE}
KIND_OUT = {REGULAR: group_service_pb2.GROUP_KIND_REGULAR, ANNOUNCEMENTS: group_service_pb2.GROUP_KIND_ANNOUNCEMENTS}


def group_to_proto(group: Group) -> group_service_pb2.Group:
    msg = group_service_pb2.Group(
        group_id=group.group_id,
        org_id=group.org_id,
        name=group.name,
        visibility=VISIBILITY_OUT[group.visibility],
        kind=KIND_OUT[group.kind],
        creator_id=group.creator_id,
    )
    msg.create_time.FromMilliseconds(group.create_time_ms)
    return msg


def group_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= NAME_MAX_CHARS:
        raise InvalidArgument(f"name must hold 1 to {NAME_MAX_CHARS} characters")
    return name


class GroupServicer(group_service_pb2_grpc.GroupServiceServicer):
    """Create, join, leave and list groups."""

    def __init__(self, store: Store, publisher: EventPublisher, limiter: RedisRateLimiter, orgs: OrgDirectory) -> None:
        self._store = store
        self._publisher = publisher
        self._limiter = limiter
        self._orgs = orgs
        self._access = GroupAccess(store.orgs)
        self._ids = IdGenerator()

    @rpc
    def CreateGroup(self, request, context) -> group_service_pb2.Group:
        creator = require_id(request.creator_id, "creator_id")
        name = group_name(request.name)
        if request.visibility not in VISIBILITY_IN:
            raise InvalidArgument("visibility must be GROUP_VISIBILITY_OPEN or GROUP_VISIBILITY_PRIVATE")
        caller = require_actor(creator, "creator_id")
        self._limiter.take(creator)
        group = Group(
            self._ids.next_id(), caller.org_id, name, VISIBILITY_IN[request.visibility], REGULAR, creator, now_ms()
        )
        self._store.orgs.create_group(group)
        self._store.orgs.add_member(group.group_id, creator)
        return group_to_proto(group)

    @rpc
    def GetGroup(self, request, context) -> group_service_pb2.Group:
        group_id = require_id(request.group_id, "group_id")
        caller = require_actor(require_id(request.user_id, "user_id"), "user_id")
        return group_to_proto(self._access.visible(group_id, caller))

    @rpc
    def JoinGroup(self, request, context) -> empty_pb2.Empty:
        group_id = require_id(request.group_id, "group_id")
        user = require_id(request.user_id, "user_id")
        inviter = require_id(request.inviter_id, "inviter_id") if request.inviter_id else 0
        if inviter and inviter != user:
            caller = require_actor(inviter, "inviter_id")
            group = self._access.visible(group_id, caller)
            if not self._access.is_member(group, caller.user_id):
                raise PermissionDenied("only members add others to a group")
            self._orgs.require_user(user, caller, bind_unknown=True)
        else:
            caller = require_actor(user, "user_id")
            group = self._access.visible(group_id, caller)  # a private group is NOT_FOUND to non-members
        if group.kind == ANNOUNCEMENTS:
            return empty_pb2.Empty()  # everyone of the organization is a member already
        self._limiter.take(caller.user_id)
        self._store.orgs.add_member(group_id, user)
        # Published on every call, so a retry after a failed publish still backfills.
        self._publisher.publish(new_envelope(GroupJoined(group_id, user, caller.org_id), now_ms()))
        return empty_pb2.Empty()

    @rpc
    def LeaveGroup(self, request, context) -> empty_pb2.Empty:
        group_id = require_id(request.group_id, "group_id")
        caller = require_actor(require_id(request.user_id, "user_id"), "user_id")
        group = self._access.visible(group_id, caller)
        if group.kind == ANNOUNCEMENTS:
            raise FailedPrecondition("nobody leaves their organization's announcements group")
        self._limiter.take(caller.user_id)
        self._store.orgs.remove_member(group_id, caller.user_id)
        self._publisher.publish(new_envelope(GroupLeft(group_id, caller.user_id, caller.org_id), now_ms()))
        return empty_pb2.Empty()

    @rpc
    def ListGroupMembers(self, request, context) -> group_service_pb2.ListGroupMembersResponse:
        group_id = require_id(request.group_id, "group_id")
        caller = require_actor(require_id(request.user_id, "user_id"), "user_id")
        size = page_size(request.page_size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._access.visible(group_id, caller)
        page = self._store.orgs.list_members(group_id, size, unwrap_store_token(request.page_token))
        return group_service_pb2.ListGroupMembersResponse(
            member_ids=page.ids, next_page_token=wrap_store_token(page.next_token)
        )

    @rpc
    def ListMyGroups(self, request, context) -> group_service_pb2.ListMyGroupsResponse:
        caller = require_actor(require_id(request.user_id, "user_id"), "user_id")
        size = page_size(request.page_size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        page = self._store.orgs.list_user_groups(caller.user_id, size, unwrap_store_token(request.page_token))
        groups = self._store.orgs.get_groups(page.ids)
        return group_service_pb2.ListMyGroupsResponse(
            groups=[group_to_proto(groups[g]) for g in page.ids if g in groups],
            next_page_token=wrap_store_token(page.next_token),
        )
