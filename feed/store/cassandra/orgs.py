"""Organizations in Cassandra: user bindings, groups, memberships and invitations (tables in
feed/store/cassandra/cql/003_orgs.cql and 006_invitations.cql).

Each relation has a table of record, written only by lightweight transactions
so that "first wins" and "was it new" have one answer under retries, and a
bucketed mirror for the other direction: user_orgs / org_users,
member_groups / group_members. An organization is walked through org_users and
org_groups; a group's member count is a counter moved only by the applied LWT,
as follower counts are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from feed.domain import Group, Page
from feed.store.base import OrgStore, Outbox
from feed.store.cassandra.bulk import batches, run_grouped
from feed.store.cassandra.edges import Edges, chunked
from feed.store.cassandra.layout import (
    EDGE_BUCKETS,
    GROUP_MEMBERS,
    MEMBER_GROUPS,
    ORG_GROUPS,
    ORG_USERS,
    edge_bucket,
)
from feed.store.cassandra.outbox import write_with_records
from feed.store.cassandra.session import CassandraSession

MAX_TTL_S = 630_720_000  # Cassandra's limit (20 years): a longer expiry keeps its row that long at most


class CassandraOrgStore(OrgStore):
    """Bindings in user_orgs, groups by id and by org, memberships both ways."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db
        self._org_users = Edges(db, ORG_USERS)
        self._org_groups = Edges(db, ORG_GROUPS)
        self._member_groups = Edges(db, MEMBER_GROUPS)
        self._group_members = Edges(db, GROUP_MEMBERS)

    def bind_user(self, user_id: int, org_id: int) -> int:
        # The LWT picks the first binding; a later or concurrent one reads it from the answer.
        claim = self._db.execute("bind_user", (user_id, org_id))
        bound = org_id if claim.was_applied else claim.one().org_id
        # Always (re)written, for the org that won: completes a bind that died half way.
        self._db.execute_all([self._org_users.add_op(bound, user_id), ("insert_user", (user_id,))])
        return bound

    def load_bindings(self, bindings: Iterable[tuple[int, int]]) -> None:
        # bind_user() a batch at a time: the LWTs pick the first binding, the mirror follows the winner.
        for chunk in batches(bindings):
            # Concurrent LWTs on one user race, and the later binding of a batch could win:
            # only a user's first binding of the batch is sent (the others would lose anyway).
            batch = list(dict(reversed(chunk)).items())
            claims = self._db.execute_many("bind_user", batch)
            bound = [
                (user, org if claim.was_applied else claim.one().org_id)
                for (user, org), claim in zip(batch, claims, strict=True)
            ]
            ops = [self._org_users.add_op(org, user) for user, org in bound]
            run_grouped(self._db, [*ops, *(("insert_user", (user,)) for user, _ in bound)])

    def orgs_of(self, user_ids: Iterable[int]) -> dict[int, int]:
        params = [(user_id,) for user_id in dict.fromkeys(user_ids)]
        return {
            row.user_id: row.org_id for result in self._db.execute_many("select_user_org", params) for row in result
        }

    def list_org_users(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._org_users.page(org_id, page_size, page_token)

    def create_group(self, group: Group) -> None:
        # Listed under its organization first, so a group row always has its listing row
        # and an organization's walk finds every group it has.
        self._org_groups.add(group.org_id, group.group_id)
        self._db.execute(
            "insert_group",
            (
                group.group_id,
                group.org_id,
                group.name,
                group.visibility,
                group.kind,
                group.creator_id,
                group.create_time_ms,
            ),
        )

    def claim_announcements(self, org_id: int, group_id: int) -> int:
        claim = self._db.execute("claim_announcements", (org_id, group_id))
        return group_id if claim.was_applied else claim.one().group_id

    def announcements_of(self, org_id: int) -> int | None:
        row = self._db.execute("select_announcements", (org_id,)).one()
        return None if row is None else row.group_id

    def get_groups(self, group_ids: Iterable[int]) -> dict[int, Group]:
        params = [(group_id,) for group_id in dict.fromkeys(group_ids)]
        return {row.group_id: _group(row) for result in self._db.execute_many("select_group", params) for row in result}

    def add_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        # As GraphStore.follow: the LWT on the member's partition decides, the counter follows
        # only an applied one, and the mirror is always (re)written, with the records.
        added = self._member_groups.add(user_id, group_id)
        if added:
            self._db.execute("add_member_count", (1, group_id))
        write_with_records(self._db, outbox, lambda at: [self._group_members.add_at_op(group_id, user_id, at)])
        return added

    def remove_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        removed = self._member_groups.remove(user_id, group_id)
        if removed:
            self._db.execute("add_member_count", (-1, group_id))
        write_with_records(self._db, outbox, lambda at: [self._group_members.remove_at_op(group_id, user_id, at)])
        return removed

    def groups_among(self, user_id: int, group_ids: Iterable[int]) -> set[int]:
        return self._member_groups.among(user_id, group_ids)

    def invite(self, group_id: int, user_id: int, inviter_id: int, expires_ms: int) -> None:
        # The TTL ends at the expiry (rounded up): the row lives while a read may accept it, and little longer.
        ttl_s = min(MAX_TTL_S, max(1, math.ceil((expires_ms - time.time() * 1000) / 1000)))
        self._db.execute("insert_invitation", (group_id, edge_bucket(user_id), user_id, inviter_id, expires_ms, ttl_s))

    def invitation(self, group_id: int, user_id: int, now_ms: int) -> int | None:
        row = self._db.execute("select_invitation", (group_id, edge_bucket(user_id), user_id)).one()
        return row.inviter_id if row is not None and row.expires_ms > now_ms else None

    def remove_invitation(self, group_id: int, user_id: int) -> None:
        self._db.execute("delete_invitation", (group_id, edge_bucket(user_id), user_id))

    def member_count(self, group_id: int) -> int:
        row = self._db.execute("select_member_count", (group_id,)).one()
        # max: a count that drifted below zero (see add_member) must not show as negative
        return max(0, row.members or 0) if row is not None else 0

    def list_members(self, group_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._group_members.page(group_id, page_size, page_token)

    def list_user_groups(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._member_groups.page(user_id, page_size, page_token)

    def list_org_groups(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._org_groups.page(org_id, page_size, page_token)

    def purge_group(self, group_id: int) -> None:
        # Rows found by a walk go before the partition walked, and the group row goes last:
        # a purge that dies half way is finished by running it again.
        group = self.get_group(group_id)
        for members in chunked(self._group_members.iterate(group_id)):
            self._member_groups.remove_each([(member, group_id) for member in members])
        self._group_members.drop(group_id)
        self._db.execute_all([("delete_member_count", (group_id,)), ("drop_group_buckets", (group_id,))])
        self._db.execute_many("drop_group_invitations", [(group_id, bucket) for bucket in range(EDGE_BUCKETS)])
        if group is not None:
            # Conditional: only this group's claim is released, never a successor's.
            self._db.execute("release_announcements", (group.org_id, group_id))
            self._org_groups.remove(group.org_id, group_id)
            self._db.execute("delete_group", (group_id,))

    def purge_user(self, user_id: int) -> None:
        # Mirror rows before the rows of record they were found from (see purge_group).
        groups = list(self._member_groups.iterate(user_id))  # bounded by what one user joined
        for chunk in chunked(groups):
            self._group_members.remove_each([(group_id, user_id) for group_id in chunk])
            removed = self._member_groups.remove_each([(user_id, group_id) for group_id in chunk])
            decrements = [(-1, group_id) for group_id, done in zip(chunk, removed, strict=True) if done]
            self._db.execute_many("add_member_count", decrements)
        row = self._db.execute("select_user_org", (user_id,)).one()
        if row is not None:
            self._org_users.remove(row.org_id, user_id)
            self._db.execute("unbind_user", (user_id,))
        # The `users` row (iter_user_ids) belongs to the graph: GraphStore.purge_user erases it.

    def close(self) -> None:
        self._db.close()


def _group(row: Any) -> Group:
    return Group(
        group_id=row.group_id,
        org_id=row.org_id,
        name=row.name,
        visibility=row.visibility,
        kind=row.kind,
        creator_id=row.creator_id,
        create_time_ms=row.create_time_ms,
    )
