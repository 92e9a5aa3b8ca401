"""GroupService: groups inside one organization (served by the write service).

The rules live in feed.actions.groups (create, join, leave) and
feed.read.lookups (get and list); this servicer only converts.
"""

from __future__ import annotations

from google.protobuf import empty_pb2

from feed.actions.groups import GroupActions
from feed.read.lookups import Lookups
from feed.v1 import group_service_pb2, group_service_pb2_grpc
from services.auth import current_principal
from services.edge import group_to_proto, rpc, visibility_from_proto


class GroupServicer(group_service_pb2_grpc.GroupServiceServicer):
    """Create, join, leave and list groups."""

    def __init__(self, groups: GroupActions, lookups: Lookups) -> None:
        self._groups = groups
        self._lookups = lookups

    @rpc
    def CreateGroup(self, request, context) -> group_service_pb2.Group:
        visibility = visibility_from_proto(request.visibility)
        group = self._groups.create(current_principal(), request.creator_id, request.name, visibility)
        return group_to_proto(group)

    @rpc
    def GetGroup(self, request, context) -> group_service_pb2.Group:
        return group_to_proto(self._lookups.group(current_principal(), request.group_id, request.user_id))

    @rpc
    def JoinGroup(self, request, context) -> empty_pb2.Empty:
        self._groups.join(current_principal(), request.group_id, request.user_id, request.inviter_id)
        return empty_pb2.Empty()

    @rpc
    def LeaveGroup(self, request, context) -> empty_pb2.Empty:
        self._groups.leave(current_principal(), request.group_id, request.user_id)
        return empty_pb2.Empty()

    @rpc
    def ListGroupMembers(self, request, context) -> group_service_pb2.ListGroupMembersResponse:
        caller = current_principal()
        page = self._lookups.group_members(
            caller, request.group_id, request.user_id, request.page_size, request.page_token
        )
        return group_service_pb2.ListGroupMembersResponse(member_ids=page.ids, next_page_token=page.next_token)

    @rpc
    def ListMyGroups(self, request, context) -> group_service_pb2.ListMyGroupsResponse:
        page = self._lookups.my_groups(current_principal(), request.user_id, request.page_size, request.page_token)
        return group_service_pb2.ListMyGroupsResponse(
            groups=[group_to_proto(g) for g in page.groups], next_page_token=page.next_token
        )
