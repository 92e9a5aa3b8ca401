"""Creating, joining and leaving groups: membership stored, events published, and who is refused."""

from __future__ import annotations

import pytest

from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group
from feed.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from feed.events import GroupJoined, GroupLeft
from tests.actions.conftest import NOW_MS, ORG

ALICE, BOB, CAROL = 1, 2, 3


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
