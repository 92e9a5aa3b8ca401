"""Operations that finish: a retry after a partial failure completes what was left and
answers as the first success would (issue: DeletePost and LeaveGroup answered NOT_FOUND)."""

from __future__ import annotations

import pytest
import redis

from feed.access.groups import GroupAccess
from feed.actions.posts import PostActions
from feed.devstack.procs import free_port
from feed.domain import OPEN, PRIVATE
from feed.errors import NotFound, Unavailable
from feed.events import Followed, GroupJoined, GroupLeft, PostCreated, PostDeleted, Unfollowed
from feed.ids import IdGenerator
from feed.redis.post_cache import RedisPostCache
from tests.actions.conftest import MAX_CHARS, NOW_MS, ORG

ALICE, BOB = 1, 2


def test_a_delete_whose_cache_tombstone_failed_is_finished_by_its_retry(
    posts, store, cache, limiter, sink, publisher, sign_in
):
    alice = sign_in(ALICE)
    post = posts.create(alice, ALICE, "oops")
    cache.fill([post])
    # The same use case, its post cache on a Redis that does not answer (a real refused connection).
    down = RedisPostCache(redis.Redis(port=free_port(), socket_connect_timeout=0.2), ttl_s=60)
    broken = PostActions(
        store.posts, GroupAccess(store.orgs), down, limiter, sink, IdGenerator(), lambda: NOW_MS, MAX_CHARS
    )
    with pytest.raises(Unavailable):
        broken.delete(alice, ALICE, post.post_id)
    assert store.posts.get_post(post.post_id) is None  # the store delete happened
    assert cache.get_many([post.post_id]) == ({post.post_id: post}, set())  # the cache still serves it
    posts.delete(alice, ALICE, post.post_id)  # the retry answers OK
    assert cache.get_many([post.post_id]) == ({}, {post.post_id})
    assert PostDeleted(post.post_id, ALICE, ORG) in publisher.events


def test_deleting_again_answers_ok_for_the_author_and_not_found_for_others(posts, sign_in):
    alice = sign_in(ALICE)
    post = posts.create(alice, ALICE, "twice")
    posts.delete(alice, ALICE, post.post_id)
    posts.delete(alice, ALICE, post.post_id)
    outsider = sign_in(BOB, org_id=ORG + 1)
    with pytest.raises(NotFound):
        posts.delete(outsider, BOB, post.post_id)


def test_a_retried_block_answers_ok_and_records_the_unfollows_again(graph, store, publisher, sign_in):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    graph.follow(bob, BOB, ALICE)
    graph.block(alice, ALICE, BOB)
    graph.block(alice, ALICE, BOB)
    assert not store.graph.is_following(BOB, ALICE) and store.graph.is_blocked(ALICE, BOB)
    unfollows = [Unfollowed(ALICE, BOB, ORG), Unfollowed(BOB, ALICE, ORG)]
    assert publisher.events == [Followed(BOB, ALICE, ORG), *unfollows, *unfollows]


@pytest.mark.parametrize("visibility", [OPEN, PRIVATE])
def test_a_retried_leave_answers_ok_as_the_first_did(groups, store, publisher, sign_in, visibility):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    group = groups.create(alice, ALICE, "club", visibility)
    groups.join(alice, group.group_id, BOB, inviter_id=ALICE)  # an invitation
    groups.join(bob, group.group_id, BOB)  # accepted
    groups.leave(bob, group.group_id, BOB)
    groups.leave(bob, group.group_id, BOB)  # the client never saw the first answer
    assert not store.orgs.is_member(group.group_id, BOB)
    left = GroupLeft(group.group_id, BOB, ORG)
    assert publisher.events == [GroupJoined(group.group_id, BOB, ORG), left, left]


def test_leaving_an_unknown_or_foreign_group_answers_the_same_ok_and_records_nothing(groups, publisher, sign_in):
    alice = sign_in(ALICE)
    foreign = groups.create(sign_in(BOB, org_id=ORG + 1), BOB, "theirs", OPEN)
    groups.leave(alice, foreign.group_id, ALICE)
    groups.leave(alice, foreign.group_id + 1, ALICE)
    assert [e for e in publisher.events if not isinstance(e, PostCreated)] == []
