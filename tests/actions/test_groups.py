"""Creating, joining and leaving groups: membership stored, events published, and who is refused."""

from __future__ import annotations

import pytest

from feed.access.groups import GroupAccess
from feed.actions.groups import GroupActions
from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group
from feed.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from feed.events import GroupJoined, GroupLeft
from feed.ids import IdGenerator
from tests.actions.conftest import NOW_MS, ORG

ALICE, BOB, CAROL = 1, 2, 3
BLOCKED = "one of you has blocked the other"


class BlockLandsDuringJoin:
    """An org store whose add_member() of the blocker is followed at once by their block: what a
    Block racing the JoinGroup does between the join's check and its write."""

    def __init__(self, orgs, graph, blocker: int, blocked: int) -> None:
        self._orgs, self._graph = orgs, graph
        self._pair = (blocker, blocked)

    def add_member(self, group_id: int, user_id: int, outbox=()) -> bool:
        added = self._orgs.add_member(group_id, user_id, outbox)
        if user_id == self._pair[0]:
            self._graph.block(*self._pair)
        return added

    def __getattr__(self, name: str):
        return getattr(self._orgs, name)


def test_a_new_group_has_its_creator_as_member_and_publishes_nothing(groups, store, publisher, sign_in):
    group = groups.create(sign_in(ALICE), ALICE, "  book club  ", PRIVATE)
    assert group == Group(group.group_id, ORG, "book club", PRIVATE, REGULAR, ALICE, NOW_MS)
    assert store.orgs.get_group(group.group_id) == group
    assert store.orgs.is_member(group.group_id, ALICE)
    assert publisher.envelopes == []


@pytest.mark.parametrize(("name", "visibility", "field"), [(" ", OPEN, "name"), ("ok", "", "visibility")])
def test_a_blank_name_or_an_unknown_visibility_is_refused(groups, sign_in, name, visibility, field):
    with pytest.raises(InvalidArgument, match=field):
        groups.create(sign_in(ALICE), ALICE, name, visibility)


def test_joining_an_open_group_adds_the_member_and_publishes_the_join_for_the_backfill(
    groups, store, publisher, sign_in
):
    group = groups.create(sign_in(ALICE), ALICE, "open", OPEN)
    groups.join(sign_in(BOB), group.group_id, BOB)
    assert store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG)]


@pytest.mark.parametrize("outsider_org", [ORG, ORG + 1], ids=["private group", "another organization"])
def test_a_group_the_caller_may_not_see_answers_as_one_that_does_not_exist(
    groups, store, publisher, sign_in, outsider_org
):
    group = groups.create(sign_in(ALICE), ALICE, "hidden", PRIVATE if outsider_org == ORG else OPEN)
    outsider = sign_in(CAROL, org_id=outsider_org)
    with pytest.raises(NotFound, match=f"^group {group.group_id} not found$"):
        groups.join(outsider, group.group_id, CAROL)
    assert not store.orgs.is_member(group.group_id, CAROL)
    assert publisher.envelopes == []


def test_a_member_adds_another_user_and_a_non_member_may_not(groups, store, publisher, sign_in):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    sign_in(CAROL)
    group = groups.create(alice, ALICE, "open", OPEN)
    with pytest.raises(PermissionDenied, match="only members add others"):
        groups.join(bob, group.group_id, CAROL, inviter_id=BOB)
    groups.join(alice, group.group_id, CAROL, inviter_id=ALICE)
    assert store.orgs.is_member(group.group_id, CAROL)
    assert not store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, CAROL, ORG)]


def test_leaving_removes_the_member_and_publishes_the_leave(groups, store, publisher, sign_in):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    group = groups.create(alice, ALICE, "open", OPEN)
    groups.join(bob, group.group_id, BOB)
    groups.leave(bob, group.group_id, BOB)
    assert not store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG), GroupLeft(group.group_id, BOB, ORG)]


def test_the_announcements_group_is_joined_by_everyone_and_left_by_nobody(groups, store, orgs, publisher, sign_in):
    bob = sign_in(BOB)
    announcements = orgs.announcements(ORG)
    assert store.orgs.get_group(announcements).kind == ANNOUNCEMENTS
    groups.join(bob, announcements, BOB)  # already a member: nothing to do, nothing published
    with pytest.raises(FailedPrecondition, match="announcements"):
        groups.leave(bob, announcements, BOB)
    assert store.orgs.is_member(announcements, BOB)
    assert publisher.envelopes == []


@pytest.mark.parametrize(("blocker", "blocked"), [(BOB, ALICE), (ALICE, BOB)], ids=["bob blocked", "alice blocked"])
def test_a_member_cannot_add_a_user_when_either_has_blocked_the_other_and_hears_the_same_either_way(
    groups, graph, store, publisher, sign_in, blocker, blocked
):
    principals = {ALICE: sign_in(ALICE), BOB: sign_in(BOB)}
    group = groups.create(principals[ALICE], ALICE, "open", OPEN)
    graph.block(principals[blocker], blocker, blocked)
    before = list(publisher.events)
    with pytest.raises(FailedPrecondition, match=f"^{BLOCKED}; they cannot be added$"):
        groups.join(principals[ALICE], group.group_id, BOB, inviter_id=ALICE)
    assert not store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == before


def test_a_blocked_user_cannot_add_the_member_who_blocked_them(groups, graph, store, sign_in):
    alice, bob, carol = sign_in(ALICE), sign_in(BOB), sign_in(CAROL)
    group = groups.create(bob, BOB, "open", OPEN)
    groups.join(carol, group.group_id, CAROL)
    graph.block(alice, ALICE, CAROL)
    with pytest.raises(FailedPrecondition, match=BLOCKED):
        groups.join(carol, group.group_id, ALICE, inviter_id=CAROL)
    assert not store.orgs.is_member(group.group_id, ALICE)
    groups.join(alice, group.group_id, ALICE)  # joining by oneself is one's own choice
    assert store.orgs.is_member(group.group_id, ALICE)


def test_an_added_member_is_taken_out_again_when_a_block_lands_between_the_check_and_the_write(
    store, orgs, limiter, sink, publisher, sign_in
):
    alice, _ = sign_in(ALICE), sign_in(BOB)
    racing_store = BlockLandsDuringJoin(store.orgs, store.graph, BOB, ALICE)
    racing = GroupActions(racing_store, store.graph, GroupAccess(store.orgs), orgs, limiter, sink, IdGenerator(), int)
    group = racing.create(alice, ALICE, "open", OPEN)
    with pytest.raises(FailedPrecondition, match=BLOCKED):
        racing.join(alice, group.group_id, BOB, inviter_id=ALICE)
    assert store.graph.is_blocked(BOB, ALICE)
    assert not store.orgs.is_member(group.group_id, BOB)
    # The join was stored with its event; the undo's GroupLeft comes after it, so workers end without it.
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG), GroupLeft(group.group_id, BOB, ORG)]
