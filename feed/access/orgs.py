"""Which organization each user belongs to, and the checks that keep organizations apart.

A user is bound to the organization of their first authenticated call (the
token's `org` claim) and stays in it: a later token naming another
organization is refused. Bindings never change, so each process caches them
(bounded). Every RPC that names another user, a post or a group checks that
it belongs to the caller's organization and answers NOT_FOUND otherwise,
with the same message as for one that does not exist: nothing tells a caller
whether another organization has such a user.

Users come into an organization only by their own authenticated call: naming
an id (follow, block, invite) never binds it, and the answer never tells "never
signed in" from "another organization's". In any other organization than the
default one both are NOT_FOUND. The default organization (0) is the open
network this backend was first built for: its users may follow or block an id
that has not signed in yet, so there both are answered as such an id, OK and
empty; the edge is kept and takes effect only if that id signs in to the
default organization (edges across organizations have no effect: timeline keys
carry the organization, fan-out writes only to timelines that exist, and reads
drop posts of other organizations).

Every organization has an announcements group: every member belongs to it
(added when they are bound), only the organization's admins post to it.
"""

from __future__ import annotations

from feed.access.tokens import Principal
from feed.domain import ANNOUNCEMENTS, OPEN, Group
from feed.errors import NotFound, PermissionDenied
from feed.ids import IdGenerator, now_ms
from feed.lru import BoundedLru
from feed.store.base import OrgStore

CACHE_MAX = 200_000  # user -> org bindings a process keeps (least recently used dropped)
ANNOUNCEMENTS_CACHE_MAX = 10_000  # organizations whose announcements group id a process keeps
ANNOUNCEMENTS_NAME = "Announcements"
DEFAULT_ORG = 0  # the open network: see the module docstring


def user_not_found(user_id: int) -> NotFound:
    """The one answer for a user who does not exist or is in another organization."""
    return NotFound(f"user {user_id} not found")


class OrgDirectory:
    """Binds callers to their organization and checks that what they name is in it."""

    def __init__(self, orgs: OrgStore, ids: IdGenerator | None = None, cache_max: int = CACHE_MAX) -> None:
        self._orgs = orgs
        self._ids = ids or IdGenerator()
        self._cache: BoundedLru[int, int] = BoundedLru(cache_max)  # user -> org
        self._announcements: BoundedLru[int, int] = BoundedLru(ANNOUNCEMENTS_CACHE_MAX)  # org -> group

    def bind(self, principal: Principal) -> None:
        """Bind the caller to their token's organization on first sight; refuse a token naming another one."""
        known = self._cache.get(principal.user_id)
        if known is None:
            known = self._orgs.org_of(principal.user_id)
            if known is None:
                known = self._bind_new(principal.user_id, principal.org_id)
            self._cache.put(principal.user_id, known)
        if known != principal.org_id:
            raise PermissionDenied("this user belongs to another organization than the token's")

    def org_of(self, user_id: int) -> int | None:
        """A user's organization, or None if they were never bound."""
        known = self._cache.get(user_id)
        if known is None:
            known = self._orgs.org_of(user_id)
            if known is not None:
                self._cache.put(user_id, known)
        return known

    def require_user(self, user_id: int, caller: Principal) -> bool:
        """True if user_id is a user of the caller's organization (or the caller). Otherwise
        NotFound, one answer for "never signed in" and "another organization's"; except in the
        default organization, where both are an id with nothing yet: False, and the caller's
        act is answered as for any such id (feed/actions/graph.py keeps the edge, without effect)."""
        if user_id == caller.user_id or self.org_of(user_id) == caller.org_id:
            return True
        if caller.org_id == DEFAULT_ORG:
            return False
        raise user_not_found(user_id)

    def among_visible(self, user_ids: list[int], caller: Principal) -> list[int]:
        """The ids of user_ids the caller may be shown, in order: users of the caller's organization,
        and in the default organization ids that never signed in too. One store query at most."""
        orgs = {u: org for u in user_ids if (org := self._cache.get(u)) is not None}
        missing = [u for u in user_ids if u not in orgs]
        if missing:
            found = self._orgs.orgs_of(missing)
            for user, org in found.items():
                self._cache.put(user, org)
            orgs.update(found)
        unbound = caller.org_id if caller.org_id == DEFAULT_ORG else None
        return [u for u in user_ids if orgs.get(u, unbound) == caller.org_id]

    def announcements(self, org_id: int) -> int:
        """The id of the organization's announcements group, created on first use."""
        known = self._announcements.get(org_id)
        if known is not None:
            return known
        group_id = self._orgs.announcements_of(org_id)
        if group_id is None:
            candidate = Group(self._ids.next_id(), org_id, ANNOUNCEMENTS_NAME, OPEN, ANNOUNCEMENTS, 0, now_ms())
            self._orgs.create_group(candidate)
            group_id = self._orgs.claim_announcements(org_id, candidate.group_id)
            if group_id != candidate.group_id:  # another process created the organization's first
                self._orgs.purge_group(candidate.group_id)
        self._announcements.put(org_id, group_id)
        return group_id

    def _bind_new(self, user_id: int, org_id: int) -> int:
        """Bind a user and make them a member of the organization's announcements group.

        The membership is added first: a crash between the two leaves the user unbound,
        and the next call does both again (both are idempotent)."""
        announcements = self.announcements(org_id)
        self._orgs.add_member(announcements, user_id)
        bound = self._orgs.bind_user(user_id, org_id)
        if bound != org_id:  # a concurrent first call with another organization's token won
            self._orgs.remove_member(announcements, user_id)
        return bound
