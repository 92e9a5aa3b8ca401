"""Who may see, read, post to and join a group: the rules every servicer applies the same way.

A group of another organization, and a private group the caller is not a
member of, answer NOT_FOUND with the message of a group that does not exist,
so a caller learns nothing about groups they may not see.
"""

from __future__ import annotations

from feed.access.tokens import Principal
from feed.domain import ANNOUNCEMENTS, PRIVATE, Group
from feed.errors import NotFound, PermissionDenied
from feed.store.base import OrgStore

NAME_MAX_CHARS = 100


def group_not_found(group_id: int) -> NotFound:
    return NotFound(f"group {group_id} not found")


class GroupAccess:
    """Group lookups with the organization and membership checks applied."""

    def __init__(self, orgs: OrgStore) -> None:
        self._orgs = orgs

    def in_org(self, group_id: int, caller: Principal) -> Group:
        """The group, if it is in the caller's organization (private or not: callers check that)."""
        group = self._orgs.get_group(group_id)
        if group is None or group.org_id != caller.org_id:
            raise group_not_found(group_id)
        return group

    def visible(self, group_id: int, caller: Principal) -> Group:
        """The group, if the caller may see it: in their organization, and open or theirs."""
        group = self.in_org(group_id, caller)
        if group.visibility == PRIVATE and not self.is_member(group, caller.user_id):
            raise group_not_found(group_id)
        return group

    def is_member(self, group: Group, user_id: int) -> bool:
        """Membership; everyone of the organization is a member of its announcements group."""
        return group.kind == ANNOUNCEMENTS or self._orgs.is_member(group.group_id, user_id)

    def postable(self, group_id: int, caller: Principal) -> Group:
        """The group, if the caller may post to it: a member, and an admin for announcements."""
        group = self.visible(group_id, caller)
        if group.kind == ANNOUNCEMENTS:
            if not caller.admin:
                raise PermissionDenied("only the organization's admins post announcements")
        elif not self.is_member(group, caller.user_id):
            raise PermissionDenied("join the group to post in it")
        return group
