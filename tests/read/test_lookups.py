"""The reads that are not timelines: what a caller may see of posts, follow lists and groups."""

from __future__ import annotations

import pytest

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import read_limiter
from feed.access.tokens import Principal
from feed.domain import OPEN, PRIVATE, REGULAR, Group, Post
from feed.errors import InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from feed.ids import EPOCH_MS, FUTURE_SKEW_MS, IdGenerator
from feed.read.hydrate import Hydrator
from feed.read.lookups import Lookups
from feed.redis.post_cache import RedisPostCache

ORG = 7
ALICE, BOB, CAROL = 1, 2, 3
NOW_MS = EPOCH_MS + 50_000_000_000  # the lookups' wall clock, in 2025


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


@pytest.fixture
def cache(redis_client):
    return RedisPostCache(redis_client, ttl_s=60)


@pytest.fixture
def orgs(store):
    return OrgDirectory(store.orgs)


def _lookups(store, cache, orgs, client, rate_per_s: float = 1000.0, burst: int = 1000) -> Lookups:
    reads = read_limiter(client, rate_per_s, burst)
    return Lookups(store, Hydrator(cache, store.posts), orgs, GroupAccess(store.orgs), reads, lambda: NOW_MS)


@pytest.fixture
def lookups(store, cache, orgs, redis_client):
    return _lookups(store, cache, orgs, redis_client)


@pytest.fixture
def alice(orgs):
    return _signed_in(orgs, ALICE)


@pytest.fixture
def bob(orgs):
    return _signed_in(orgs, BOB)


def _signed_in(orgs: OrgDirectory, user_id: int, org_id: int = ORG) -> Principal:
    principal = Principal(user_id, org_id)
    orgs.bind(principal)
    return principal


def _post(store, post_id: int, author_id: int, group_id: int = 0, org_id: int = ORG) -> Post:
    return store.posts.create_post(Post(post_id, author_id, "text", 1_000, group_id, org_id))[0]


def _group(store, group_id: int, visibility: str, creator: int, org_id: int = ORG) -> Group:
    group = Group(group_id, org_id, f"group {group_id}", visibility, REGULAR, creator, 1_000)
    store.orgs.create_group(group)
    store.orgs.add_member(group_id, creator)
    return group


def test_a_post_of_the_callers_organization_is_found(lookups, store, alice, bob):
    post = _post(store, 10, ALICE)
    assert lookups.post(bob, 10) == post


def test_a_post_of_another_organization_answers_as_one_that_does_not_exist(lookups, store, orgs, alice):
    _post(store, 10, ALICE)
    outsider = _signed_in(orgs, CAROL, ORG + 1)
    for post_id in (10, 11):
        with pytest.raises(NotFound, match=f"^post {post_id} not found$"):
            lookups.post(outsider, post_id)


def test_a_post_in_a_private_group_is_not_found_by_non_members(lookups, store, alice, bob):
    _group(store, 50, PRIVATE, ALICE)
    _post(store, 10, ALICE, group_id=50)
    assert lookups.post(alice, 10).group_id == 50
    with pytest.raises(NotFound, match=r"^post 10 not found$"):
        lookups.post(bob, 10)


def test_a_post_whose_author_blocked_the_caller_is_refused(lookups, store, alice, bob):
    _post(store, 10, ALICE)
    store.graph.block(ALICE, BOB)
    with pytest.raises(PermissionDenied, match="blocked you"):
        lookups.post(bob, 10)


def test_a_post_whose_author_the_caller_blocked_is_refused_until_unblocked(lookups, store, alice, bob):
    _post(store, 10, ALICE)
    store.graph.block(BOB, ALICE)
    with pytest.raises(PermissionDenied, match="you have blocked this user"):
        lookups.post(bob, 10)
    store.graph.unblock(BOB, ALICE)
    assert lookups.post(bob, 10).post_id == 10


def test_a_deleted_post_is_not_found(lookups, store, cache, alice):
    _post(store, 10, ALICE)
    assert lookups.post(alice, 10).post_id == 10  # now cached
    store.posts.delete_post(10)
    cache.mark_deleted(10)
    with pytest.raises(NotFound):
        lookups.post(alice, 10)


def test_followers_come_in_pages_whose_tokens_lead_to_the_rest(lookups, store, orgs, alice):
    followers = [_signed_in(orgs, u).user_id for u in (11, 12, 13)]
    for follower in followers:
        store.graph.follow(follower, ALICE)
    first = lookups.followers(alice, ALICE, 2, "")
    rest = lookups.followers(alice, ALICE, 2, first.next_token)
    assert len(first.ids) == 2 and first.next_token
    assert sorted(first.ids + rest.ids) == followers
    assert rest.next_token == ""
    assert lookups.following(alice, 11, 0, "").ids == [ALICE]


def test_a_forged_page_token_is_invalid(lookups, alice):
    with pytest.raises(InvalidArgument, match="page_token"):
        lookups.followers(alice, ALICE, 10, "not-a-token")


def test_follow_lists_of_another_organizations_user_are_not_found(lookups, orgs, alice):
    _signed_in(orgs, CAROL, ORG + 1)
    with pytest.raises(NotFound, match=f"^user {CAROL} not found$"):
        lookups.following(alice, CAROL, 10, "")


def test_a_group_is_seen_by_its_organization_unless_private_and_the_caller_not_in_it(lookups, store, orgs, alice, bob):
    open_group, private_group = _group(store, 50, OPEN, ALICE), _group(store, 51, PRIVATE, ALICE)
    assert lookups.group(bob, 50, BOB) == open_group
    assert lookups.group(alice, 51, ALICE) == private_group
    outsider = _signed_in(orgs, CAROL, ORG + 1)
    for caller, group_id in ((bob, 51), (outsider, 50)):
        with pytest.raises(NotFound, match=f"^group {group_id} not found$"):
            lookups.group(caller, group_id, caller.user_id)
        with pytest.raises(NotFound, match=f"^group {group_id} not found$"):
            lookups.group_members(caller, group_id, caller.user_id, 10, "")


def test_my_groups_lists_the_callers_groups_and_members_lists_a_groups_members(lookups, store, orgs, alice, bob):
    _group(store, 50, OPEN, ALICE)
    store.orgs.add_member(50, BOB)
    mine = lookups.my_groups(bob, BOB, 10, "")
    assert {g.group_id for g in mine.groups} == {50, orgs.announcements(ORG)}
    assert mine.next_token == ""
    assert sorted(lookups.group_members(alice, 50, ALICE, 10, "").ids) == [ALICE, BOB]
    with pytest.raises(PermissionDenied, match="user_id must be the user of the token"):
        lookups.my_groups(alice, BOB, 10, "")


def _id_made_at(time_ms: int) -> int:
    """The id a write service made at time_ms (what an attacker derives from the clock)."""
    return IdGenerator(node=3, clock=lambda: time_ms / 1000).next_id()


def test_a_post_asked_for_before_it_was_stored_is_found_once_it_is(lookups, store, redis_client, alice, bob):
    post_id = _id_made_at(NOW_MS + 1_000)  # the next second's id, asked for now
    with pytest.raises(NotFound):
        lookups.post(bob, post_id)
    assert redis_client.keys("feed:post:*") == []  # the miss left no marker behind
    _post(store, post_id, ALICE)
    assert lookups.post(bob, post_id).post_id == post_id


def test_an_id_from_past_the_clock_skew_is_not_found_without_looking_it_up(lookups, store, redis_client, alice, bob):
    future = _id_made_at(NOW_MS + FUTURE_SKEW_MS + 1)
    _post(store, future, ALICE)  # even were it stored (it cannot be yet), neither cache nor store is asked
    with pytest.raises(NotFound, match=f"^post {future} not found$"):
        lookups.post(bob, future)
    assert redis_client.keys("feed:post:*") == []
    within_skew = _id_made_at(NOW_MS + FUTURE_SKEW_MS)  # a writer whose clock runs ahead of ours
    _post(store, within_skew, ALICE)
    assert lookups.post(bob, within_skew).post_id == within_skew


def test_every_read_spends_the_callers_read_budget(store, cache, orgs, redis_client, alice, bob):
    lookups = _lookups(store, cache, orgs, redis_client, rate_per_s=0.01, burst=6)
    _post(store, 10, ALICE)
    _group(store, 50, OPEN, ALICE)
    lookups.post(alice, 10)
    lookups.followers(alice, ALICE, 10, "")
    lookups.following(alice, ALICE, 10, "")
    lookups.group(alice, 50, ALICE)
    lookups.group_members(alice, 50, ALICE, 10, "")
    lookups.my_groups(alice, ALICE, 10, "")
    with pytest.raises(ResourceExhausted, match="too many reads; retry after") as refused:
        lookups.post(alice, 10)
    assert refused.value.retry_after_ms > 0
    assert lookups.post(bob, 10).post_id == 10  # Bob's budget is his own
