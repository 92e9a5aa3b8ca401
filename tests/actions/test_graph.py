"""Follows and blocks: the edges stored, the events published, and the race a block can win."""

from __future__ import annotations

import pytest

from feed.actions.graph import GraphActions
from feed.errors import FailedPrecondition, InvalidArgument, NotFound
from feed.events import Envelope, Followed, Unfollowed
from tests.actions.conftest import NOW_MS, ORG

ALICE, BOB, CAROL = 1, 2, 3


class BlockLandsDuringFollow:
    """A graph store whose follow() is followed at once by the followee blocking the follower:
    what a Block racing the Follow does between the Follow's check and its write."""

    def __init__(self, graph) -> None:
        self._graph = graph

    def follow(self, follower_id: int, followee_id: int, outbox=()) -> bool:
        added = self._graph.follow(follower_id, followee_id, outbox)
        self._graph.block(followee_id, follower_id)
        return added

    def __getattr__(self, name: str):
        return getattr(self._graph, name)


def test_a_follow_is_stored_and_published(graph, store, publisher, sign_in):
    sign_in(BOB)
    graph.follow(sign_in(ALICE), ALICE, BOB)
    assert store.graph.is_following(ALICE, BOB)
    assert publisher.envelopes == [Envelope(publisher.envelopes[0].event_id, NOW_MS, Followed(ALICE, BOB, ORG))]


def test_an_unfollow_is_stored_and_published(graph, store, publisher, sign_in):
    alice, _ = sign_in(ALICE), sign_in(BOB)
    graph.follow(alice, ALICE, BOB)
    graph.unfollow(alice, ALICE, BOB)
    assert not store.graph.is_following(ALICE, BOB)
    assert publisher.events == [Followed(ALICE, BOB, ORG), Unfollowed(ALICE, BOB, ORG)]


@pytest.mark.parametrize(
    ("blocker", "blocked", "reason"),
    [(BOB, ALICE, "this user has blocked you"), (ALICE, BOB, "you have blocked this user")],
)
def test_a_follow_is_refused_when_either_has_blocked_the_other(
    graph, store, publisher, sign_in, blocker, blocked, reason
):
    principals = {ALICE: sign_in(ALICE), BOB: sign_in(BOB)}
    graph.block(principals[blocker], blocker, blocked)
    before = list(publisher.events)
    with pytest.raises(FailedPrecondition, match=reason):
        graph.follow(principals[ALICE], ALICE, BOB)
    assert not store.graph.is_following(ALICE, BOB)
    assert publisher.events == before


def test_a_follow_is_undone_when_a_block_lands_between_its_check_and_its_write(
    store, orgs, limiter, sink, publisher, sign_in, versions
):
    racing = GraphActions(BlockLandsDuringFollow(store.graph), orgs, limiter, sink, versions)
    sign_in(BOB)
    with pytest.raises(FailedPrecondition, match="this user has blocked you"):
        racing.follow(sign_in(ALICE), ALICE, BOB)
    assert store.graph.is_blocked(BOB, ALICE)
    assert not store.graph.is_following(ALICE, BOB)
    # The follow was stored with its event; the undo's Unfollowed comes after it, so workers end unfollowed.
    assert publisher.events == [Followed(ALICE, BOB, ORG), Unfollowed(ALICE, BOB, ORG)]


def test_a_block_removes_the_follows_both_ways_and_publishes_each(graph, store, publisher, sign_in):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    graph.follow(alice, ALICE, BOB)
    graph.follow(bob, BOB, ALICE)
    publisher.clear()
    graph.block(alice, ALICE, BOB)
    assert store.graph.is_blocked(ALICE, BOB)
    assert not store.graph.is_following(ALICE, BOB) and not store.graph.is_following(BOB, ALICE)
    assert publisher.events == [Unfollowed(ALICE, BOB, ORG), Unfollowed(BOB, ALICE, ORG)]


def test_an_unblock_leaves_the_removed_follows_removed_and_publishes_nothing(graph, store, publisher, sign_in):
    alice = sign_in(ALICE)
    sign_in(BOB)
    graph.follow(alice, ALICE, BOB)
    graph.block(alice, ALICE, BOB)
    published = len(publisher.envelopes)
    graph.unblock(alice, ALICE, BOB)
    assert not store.graph.is_blocked(ALICE, BOB)
    assert not store.graph.is_following(ALICE, BOB)
    assert len(publisher.envelopes) == published
    graph.follow(alice, ALICE, BOB)  # and a new follow is allowed again
    assert store.graph.is_following(ALICE, BOB)


def test_nobody_follows_themselves(graph, sign_in):
    with pytest.raises(InvalidArgument, match="follower_id and followee_id must be different users"):
        graph.follow(sign_in(ALICE), ALICE, ALICE)


def test_a_user_of_another_organization_answers_as_one_that_does_not_exist(graph, store, publisher, sign_in):
    sign_in(CAROL, org_id=ORG + 1)
    alice = sign_in(ALICE)
    for user in (CAROL, 999):  # bound elsewhere; never signed in (only the default organization admits those)
        with pytest.raises(NotFound, match=f"^user {user} not found$"):
            graph.follow(alice, ALICE, user)
    assert not store.graph.is_following(ALICE, CAROL)
    assert publisher.envelopes == []


def test_in_the_default_organization_a_follow_may_name_an_id_that_never_signed_in(graph, store, orgs, sign_in):
    graph.follow(sign_in(ALICE, org_id=0), ALICE, 999)
    assert store.graph.is_following(ALICE, 999)
    assert orgs.org_of(999) is None  # a mention binds nothing: 999 joins the organization of its first call


def test_in_the_default_organization_an_id_of_another_one_is_answered_as_one_never_seen(
    graph, store, orgs, publisher, sign_in
):
    sign_in(CAROL, org_id=ORG)
    alice = sign_in(ALICE, org_id=0)
    for user in (CAROL, 999):  # bound elsewhere; never signed in: the same answer, OK
        graph.follow(alice, ALICE, user)
        graph.block(alice, ALICE, user)
        graph.unblock(alice, ALICE, user)
    assert orgs.org_of(999) is None and orgs.org_of(CAROL) == ORG
    # Nothing to backfill from another organization's: no Followed event for it (the block's Unfollowed
    # events are harmless); the never-seen id's follow is an ordinary one.
    followed = [e.event.followee_id for e in publisher.envelopes if type(e.event).__name__ == "Followed"]
    assert followed == [999]
