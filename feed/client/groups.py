"""The group calls (the write service's address): create, read, join, invite, leave, list."""

from __future__ import annotations

from collections.abc import Iterator

from feed.client.calls import Calls
from feed.client.paging import Paged
from feed.client.retry import NO_RETRY
from feed.client.types import Group, Visibility, group_of
from feed.v1 import group_service_pb2 as groups


class GroupCalls:
    """Mixed into FeedClient, which sets the stub and `_calls`."""

    _calls: Calls
    _groups: object

    def create_group(self, creator_id: int, name: str, visibility: Visibility = Visibility.OPEN) -> Group:
        """A new group with creator_id as its first member. Not retried: a repeat would make a second group."""
        request = groups.CreateGroupRequest(creator_id=creator_id, name=name, visibility=visibility.value)
        return group_of(self._calls.unary(self._groups.CreateGroup, request, creator_id, NO_RETRY))

    def get_group(self, user_id: int, group_id: int) -> Group:
        """The group as user_id may see it; NotFound for one they may not (or none at all)."""
        request = groups.GetGroupRequest(group_id=group_id, user_id=user_id)
        return group_of(self._calls.unary(self._groups.GetGroup, request, user_id))

    def join_group(self, user_id: int, group_id: int) -> None:
        """user_id joins (an open group, or a private one they were invited to). Joining twice is a no-op."""
        request = groups.JoinGroupRequest(group_id=group_id, user_id=user_id)
        self._calls.unary(self._groups.JoinGroup, request, user_id)

    def invite(self, inviter_id: int, group_id: int, user_id: int) -> None:
        """inviter_id (a member) invites user_id, who becomes a member by joining (at once, if an org admin invites)."""
        request = groups.JoinGroupRequest(group_id=group_id, user_id=user_id, inviter_id=inviter_id)
        self._calls.unary(self._groups.JoinGroup, request, inviter_id)

    def leave_group(self, user_id: int, group_id: int) -> None:
        """user_id leaves; a no-op for a non-member."""
        request = groups.LeaveGroupRequest(group_id=group_id, user_id=user_id)
        self._calls.unary(self._groups.LeaveGroup, request, user_id)

    def group_members(self, user_id: int, group_id: int, page_size: int = 0) -> Iterator[int]:
        """Every member id of the group, as user_id sees it, page after page."""

        def page(token: str) -> tuple[list[int], str]:
            request = groups.ListGroupMembersRequest(
                group_id=group_id, user_id=user_id, page_size=page_size, page_token=token
            )
            answer = self._calls.unary(self._groups.ListGroupMembers, request, user_id)
            return list(answer.member_ids), answer.next_page_token

        return Paged(page)

    def my_groups(self, user_id: int, page_size: int = 0) -> Iterator[Group]:
        """The groups user_id belongs to, the announcements group included."""

        def page(token: str) -> tuple[list[Group], str]:
            request = groups.ListMyGroupsRequest(user_id=user_id, page_size=page_size, page_token=token)
            answer = self._calls.unary(self._groups.ListMyGroups, request, user_id)
            return [group_of(g) for g in answer.groups], answer.next_page_token

        return Paged(page)
