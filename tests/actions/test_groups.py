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


def test_a_member_invites_another_user_who_is_not_added_until_they_accept(groups, store, publisher, sign_in):
    alice, bob, carol = sign_in(ALICE), sign_in(BOB), sign_in(CAROL)
    group = groups.create(alice, ALICE, "open", OPEN)
    with pytest.raises(PermissionDenied, match="only members add others"):
        groups.join(bob, group.group_id, CAROL, inviter_id=BOB)
    groups.join(alice, group.group_id, CAROL, inviter_id=ALICE)
    assert not store.orgs.is_member(group.group_id, CAROL)
    assert store.orgs.invitation(group.group_id, CAROL, NOW_MS) == ALICE
    assert publisher.envelopes == []
    groups.join(carol, group.group_id, CAROL)
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
def test_a_member_cannot_invite_a_user_when_either_has_blocked_the_other_and_hears_the_same_either_way(
    groups, graph, store, publisher, sign_in, blocker, blocked
):
    principals = {ALICE: sign_in(ALICE), BOB: sign_in(BOB)}
    group = groups.create(principals[ALICE], ALICE, "open", OPEN)
    graph.block(principals[blocker], blocker, blocked)
    before = list(publisher.events)
    with pytest.raises(FailedPrecondition, match=f"^{BLOCKED}; they cannot be added$"):
        groups.join(principals[ALICE], group.group_id, BOB, inviter_id=ALICE)
    assert not store.orgs.is_member(group.group_id, BOB)
    assert store.orgs.invitation(group.group_id, BOB, NOW_MS) is None
    assert publisher.events == before


def test_a_blocked_user_cannot_invite_the_member_who_blocked_them(groups, graph, store, sign_in):
    alice, bob, carol = sign_in(ALICE), sign_in(BOB), sign_in(CAROL)
    group = groups.create(bob, BOB, "open", OPEN)
    groups.join(carol, group.group_id, CAROL)
    graph.block(alice, ALICE, CAROL)
    with pytest.raises(FailedPrecondition, match=BLOCKED):
        groups.join(carol, group.group_id, ALICE, inviter_id=CAROL)
    assert not store.orgs.is_member(group.group_id, ALICE)
    groups.join(alice, group.group_id, ALICE)  # joining by oneself is one's own choice
    assert store.orgs.is_member(group.group_id, ALICE)


def test_an_admins_added_member_is_taken_out_again_when_a_block_lands_between_the_check_and_the_write(
    store, orgs, limiter, sink, publisher, sign_in, versions
):
    alice, _ = sign_in(ALICE, admin=True), sign_in(BOB)
    racing_store = BlockLandsDuringJoin(store.orgs, store.graph, BOB, ALICE)
    access = GroupAccess(store.orgs)
    racing = GroupActions(racing_store, store.graph, access, orgs, limiter, sink, IdGenerator(), int, versions=versions)
    group = racing.create(alice, ALICE, "open", OPEN)
    with pytest.raises(FailedPrecondition, match=BLOCKED):
        racing.join(alice, group.group_id, BOB, inviter_id=ALICE)
    assert store.graph.is_blocked(BOB, ALICE)
    assert not store.orgs.is_member(group.group_id, BOB)
    # The join was stored with its event; the undo's GroupLeft comes after it, so workers end without it.
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG), GroupLeft(group.group_id, BOB, ORG)]


class Clock:
    """A clock the test moves: what lets an invitation lapse without waiting."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def private_group_inviting(groups, sign_in, invitee: int = BOB) -> Group:
    """Alice's private group, with an invitation of invitee (signed in) by Alice."""
    sign_in(invitee)
    group = groups.create(sign_in(ALICE), ALICE, "secret", PRIVATE)
    groups.join(sign_in(ALICE), group.group_id, invitee, inviter_id=ALICE)
    return group


def test_accepting_an_invitation_to_a_private_group_makes_a_member_and_uses_up_the_invitation(
    groups, store, publisher, sign_in
):
    group = private_group_inviting(groups, sign_in)
    assert not store.orgs.is_member(group.group_id, BOB) and publisher.envelopes == []
    groups.join(sign_in(BOB), group.group_id, BOB)
    assert store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG)]  # the backfill's cue
    assert store.orgs.invitation(group.group_id, BOB, NOW_MS) is None
    groups.join(sign_in(BOB), group.group_id, BOB)  # a retry, as a member: the join's event again
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG)] * 2


def test_a_private_group_without_an_invitation_for_the_joiner_answers_as_one_that_does_not_exist(
    groups, store, publisher, sign_in
):
    group = private_group_inviting(groups, sign_in, invitee=CAROL)
    with pytest.raises(NotFound, match=f"^group {group.group_id} not found$"):
        groups.join(sign_in(BOB), group.group_id, BOB)  # Carol's invitation is not Bob's
    assert not store.orgs.is_member(group.group_id, BOB)
    assert publisher.envelopes == []


@pytest.mark.parametrize(("blocker", "blocked"), [(BOB, ALICE), (ALICE, BOB)], ids=["bob blocked", "alice blocked"])
def test_an_invitation_made_before_a_block_either_way_cannot_be_accepted(
    groups, graph, store, sign_in, blocker, blocked
):
    group = private_group_inviting(groups, sign_in)
    graph.block(sign_in(blocker), blocker, blocked)
    with pytest.raises(NotFound, match=f"^group {group.group_id} not found$"):
        groups.join(sign_in(BOB), group.group_id, BOB)
    assert not store.orgs.is_member(group.group_id, BOB)


def test_an_invitation_whose_inviter_left_cannot_be_accepted(groups, store, sign_in):
    sign_in(BOB), sign_in(CAROL)
    group = groups.create(sign_in(ALICE), ALICE, "secret", PRIVATE)
    groups.join(sign_in(ALICE), group.group_id, CAROL, inviter_id=ALICE)
    groups.join(sign_in(CAROL), group.group_id, CAROL)
    groups.join(sign_in(CAROL), group.group_id, BOB, inviter_id=CAROL)
    groups.leave(sign_in(CAROL), group.group_id, CAROL)
    with pytest.raises(NotFound):
        groups.join(sign_in(BOB), group.group_id, BOB)
    assert not store.orgs.is_member(group.group_id, BOB)


def test_an_invitation_lapses_after_its_time_to_live(store, make_groups, sign_in):
    clock = Clock(NOW_MS)
    groups = make_groups(clock, invite_ttl_s=60)
    group = private_group_inviting(groups, sign_in)
    clock.now_ms += 60_000
    with pytest.raises(NotFound):
        groups.join(sign_in(BOB), group.group_id, BOB)
    assert not store.orgs.is_member(group.group_id, BOB)
    groups.join(sign_in(ALICE), group.group_id, BOB, inviter_id=ALICE)  # invited again: a fresh minute
    clock.now_ms += 59_999
    groups.join(sign_in(BOB), group.group_id, BOB)
    assert store.orgs.is_member(group.group_id, BOB)


def test_an_org_admins_add_is_immediate_but_not_across_a_block(groups, graph, store, publisher, sign_in):
    admin, _ = sign_in(ALICE, admin=True), sign_in(BOB)
    group = groups.create(admin, ALICE, "secret", PRIVATE)
    groups.join(admin, group.group_id, BOB, inviter_id=ALICE)
    assert store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG)]
    graph.block(sign_in(CAROL), CAROL, ALICE)
    with pytest.raises(FailedPrecondition, match=BLOCKED):
        groups.join(admin, group.group_id, CAROL, inviter_id=ALICE)
    assert not store.orgs.is_member(group.group_id, CAROL)


def test_an_accepted_membership_is_taken_out_again_when_a_block_lands_between_the_check_and_the_write(
    store, orgs, limiter, sink, publisher, sign_in, versions
):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    racing_store = BlockLandsDuringJoin(store.orgs, store.graph, BOB, ALICE)
    access = GroupAccess(store.orgs)
    racing = GroupActions(racing_store, store.graph, access, orgs, limiter, sink, IdGenerator(), int, versions=versions)
    group = racing.create(alice, ALICE, "secret", PRIVATE)
    racing.join(alice, group.group_id, BOB, inviter_id=ALICE)
    with pytest.raises(NotFound):
        racing.join(bob, group.group_id, BOB)
    assert store.graph.is_blocked(BOB, ALICE)
    assert not store.orgs.is_member(group.group_id, BOB)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG), GroupLeft(group.group_id, BOB, ORG)]


def test_inviting_an_id_of_another_organization_answers_as_inviting_one_that_exists_nowhere(groups, store, sign_in):
    group = groups.create(sign_in(ALICE), ALICE, "open", OPEN)
    sign_in(BOB, org_id=ORG + 1)
    answers = []
    for invitee in (BOB, 999_999):
        with pytest.raises(NotFound) as err:
            groups.join(sign_in(ALICE), group.group_id, invitee, inviter_id=ALICE)
        answers.append(str(err.value).replace(str(invitee), "ID"))
    assert answers[0] == answers[1]
    assert store.orgs.invitation(group.group_id, BOB, NOW_MS) is None
