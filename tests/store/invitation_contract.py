"""The invitation part of the store contract: who invited whom into a group, until when.

Mixed into StoreContract, so it runs on SQLite, the Cassandra emulation and a real
Cassandra. Expiry times lie a minute ahead of the wall clock, because Cassandra's
TTL (which only cleans up) counts from the clock of the write.
"""

from __future__ import annotations

import time

from feed.store.base import Store
from tests.store.contract_data import new_group, new_user

MINUTE_MS = 60_000


def _now_ms() -> int:
    return int(time.time() * 1000)


class InvitationContract:
    """OrgStore.invite, invitation and remove_invitation."""

    def test_an_invitation_names_its_inviter_until_it_expires(self, store: Store) -> None:
        group, user, inviter = new_group(new_user()), new_user(), new_user()
        store.orgs.create_group(group)
        expires = _now_ms() + MINUTE_MS
        store.orgs.invite(group.group_id, user, inviter, expires)
        assert store.orgs.invitation(group.group_id, user, expires - 1) == inviter
        assert store.orgs.invitation(group.group_id, user, expires) is None  # lapsed at its expiry
        assert store.orgs.invitation(group.group_id, new_user(), expires - 1) is None  # nobody else's
        assert store.orgs.invitation(new_group(new_user()).group_id, user, expires - 1) is None

    def test_a_newer_invitation_replaces_the_older_one(self, store: Store) -> None:
        group, user, first, second = new_group(new_user()), new_user(), new_user(), new_user()
        store.orgs.create_group(group)
        now = _now_ms()
        store.orgs.invite(group.group_id, user, first, now + 2 * MINUTE_MS)
        store.orgs.invite(group.group_id, user, second, now + MINUTE_MS)
        assert store.orgs.invitation(group.group_id, user, now) == second
        assert store.orgs.invitation(group.group_id, user, now + MINUTE_MS) is None  # its expiry, not the first's

    def test_an_invitation_that_expired_already_is_stored_without_error_and_never_found(self, store: Store) -> None:
        group, user = new_group(new_user()), new_user()
        store.orgs.create_group(group)
        now = _now_ms()
        store.orgs.invite(group.group_id, user, new_user(), now - MINUTE_MS)
        assert store.orgs.invitation(group.group_id, user, now) is None

    def test_a_removed_invitation_is_gone_and_removing_it_again_changes_nothing(self, store: Store) -> None:
        group, user, kept = new_group(new_user()), new_user(), new_user()
        store.orgs.create_group(group)
        now = _now_ms()
        for invitee in (user, kept):
            store.orgs.invite(group.group_id, invitee, new_user(), now + MINUTE_MS)
        store.orgs.remove_invitation(group.group_id, user)
        store.orgs.remove_invitation(group.group_id, user)
        store.orgs.remove_invitation(group.group_id, new_user())  # never invited: no error
        assert store.orgs.invitation(group.group_id, user, now) is None
        assert store.orgs.invitation(group.group_id, kept, now) is not None

    def test_purging_a_group_erases_its_invitations(self, store: Store) -> None:
        group, other, user = new_group(new_user()), new_group(new_user()), new_user()
        now = _now_ms()
        for g in (group, other):
            store.orgs.create_group(g)
            store.orgs.invite(g.group_id, user, new_user(), now + MINUTE_MS)
        store.orgs.purge_group(group.group_id)
        assert store.orgs.invitation(group.group_id, user, now) is None
        assert store.orgs.invitation(other.group_id, user, now) is not None
