"""Every change of whom a user follows, which groups they are in, or who blocks whom gives each user whose
relationships changed a new version in Redis before the call answers (read services trust kept facts only
while it stays the same: feed/read/guard_cache.py)."""

from __future__ import annotations

import pytest

from feed.access.versions import RedisRelationshipVersions
from feed.actions.graph import GraphActions
from feed.domain import OPEN
from feed.errors import Unavailable
from feed.redis.connection import RedisFunctions, connect
from feed.redis.keys import relationship_version_key
from tests.actions.conftest import ORG

ALICE, BOB, CAROL = 11, 12, 13


class Versions:
    """Reads the users' versions as Redis holds them, and tells whose changed since the last look."""

    def __init__(self, redis_client) -> None:
        self._redis = redis_client
        self._seen = self.now()

    def now(self) -> dict[int, bytes | None]:
        return {u: self._redis.get(relationship_version_key(u, ORG)) for u in (ALICE, BOB, CAROL)}

    def changed(self) -> set[int]:
        before, self._seen = self._seen, self.now()
        return {u for u, v in self._seen.items() if v != before[u]}


@pytest.fixture
def users(sign_in):
    return sign_in(ALICE), sign_in(BOB), sign_in(CAROL)


@pytest.fixture
def versions(functions):
    return RedisRelationshipVersions(functions)


def test_a_follow_and_an_unfollow_change_the_followers_version_only(graph, users, redis_client):
    alice, _, _ = users
    seen = Versions(redis_client)
    graph.follow(alice, ALICE, BOB)
    assert seen.changed() == {ALICE}
    graph.unfollow(alice, ALICE, BOB)
    assert seen.changed() == {ALICE}


def test_a_block_and_an_unblock_change_both_users_versions(graph, users, redis_client):
    alice, _, _ = users
    seen = Versions(redis_client)
    graph.block(alice, ALICE, BOB)
    assert seen.changed() == {ALICE, BOB}
    graph.unblock(alice, ALICE, BOB)
    assert seen.changed() == {ALICE, BOB}


def test_creating_joining_and_leaving_a_group_change_the_members_version(groups, users, redis_client):
    alice, bob, _ = users
    seen = Versions(redis_client)
    group = groups.create(alice, ALICE, "open", OPEN)
    assert seen.changed() == {ALICE}
    groups.join(bob, group.group_id, BOB)
    assert seen.changed() == {BOB}
    groups.leave(bob, group.group_id, BOB)
    assert seen.changed() == {BOB}


def test_an_admins_addition_changes_the_added_members_version(groups, users, sign_in, redis_client):
    admin = sign_in(ALICE, admin=True)
    group = groups.create(admin, ALICE, "open", OPEN)
    seen = Versions(redis_client)
    groups.join(admin, group.group_id, CAROL, inviter_id=ALICE)
    assert seen.changed() == {CAROL}


def test_every_version_is_new_not_a_count(graph, users, redis_client):
    alice, _, _ = users
    values = set()
    for _ in range(3):
        graph.follow(alice, ALICE, BOB)
        values.add(redis_client.get(relationship_version_key(ALICE, ORG)))
    redis_client.flushall()
    graph.follow(alice, ALICE, BOB)
    values.add(redis_client.get(relationship_version_key(ALICE, ORG)))
    assert len(values) == 4  # a flush does not bring an old value back


def test_a_change_whose_version_cannot_be_set_fails_and_its_retry_finishes_it(
    store, orgs, limiter, sink, users, versions, redis_client
):
    alice, _, _ = users
    silent = RedisRelationshipVersions(RedisFunctions(connect("redis://127.0.0.1:1")))  # nothing listens there
    with pytest.raises(Unavailable):
        GraphActions(store.graph, orgs, limiter, sink, silent).unfollow(alice, ALICE, BOB)
    seen = Versions(redis_client)
    GraphActions(store.graph, orgs, limiter, sink, versions).unfollow(alice, ALICE, BOB)  # the client's retry
    assert seen.changed() == {ALICE}
