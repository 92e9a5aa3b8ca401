"""The load kit's token provider: a token of the acting user in their organization, minted once, bounded."""

from __future__ import annotations

import jwt

from feed.access.tokens import AuthKeys, Principal, verify
from feed.loadkit.tokens import ActingUserAuth, TokenProvider, acting_user, balanced_target
from feed.v1 import feed_service_pb2, graph_service_pb2, post_service_pb2

KEYS = AuthKeys("HS256", "s" * 40, "s" * 40)


def principal(metadata) -> Principal:
    ((key, value),) = metadata
    assert key == "authorization"
    return verify(KEYS, value)


def test_metadata_carries_a_token_of_the_acting_user_in_the_named_organization():
    tokens = TokenProvider(KEYS)
    assert principal(tokens.metadata(42)) == Principal(42)
    assert principal(tokens.metadata(42, org_id=7)) == Principal(42, 7)


def test_organization_and_admin_role_come_from_the_callers_rules_when_not_named():
    tokens = TokenProvider(KEYS, org_of=lambda user: user // 100, admin_of=lambda user: user == 301)
    assert principal(tokens.metadata(205)) == Principal(205, 2)
    assert principal(tokens.metadata(301)) == Principal(301, 3, admin=True)
    assert verify(KEYS, f"Bearer {tokens.token(301)}") == Principal(301, 3, admin=True)


def test_a_token_is_minted_once_per_user_and_organization():
    tokens = TokenProvider(KEYS)
    assert tokens.metadata(42) is tokens.metadata(42)
    assert tokens.metadata(42, 1) is not tokens.metadata(42, 2)


def test_the_cache_is_bounded_and_mints_evicted_users_again():
    tokens = TokenProvider(KEYS, max_cached=2)
    first = tokens.metadata(1)
    tokens.metadata(2)
    tokens.metadata(3)  # evicts user 1, the least recently used
    assert tokens.metadata(1) is not first
    assert principal(tokens.metadata(1)) == Principal(1)


def test_tokens_issued_at_a_given_moment_carry_it():
    """Load generators of one run are given one moment, so they all send the same tokens."""
    tokens = TokenProvider(KEYS, issued_at=1_700_000_000)
    claims = jwt.decode(tokens.token(42), options={"verify_signature": False})
    assert claims["iat"] == 1_700_000_000


def test_the_acting_user_is_read_from_the_request_else_the_default_viewer():
    assert acting_user(graph_service_pb2.FollowRequest(follower_id=5, followee_id=6), 1) == 5
    assert acting_user(feed_service_pb2.GetHomeTimelineRequest(user_id=9), 1) == 9
    assert acting_user(post_service_pb2.GetPostRequest(post_id=3), 1) == 1


def test_the_interceptor_adds_the_acting_users_token_unless_the_call_has_one():
    tokens = TokenProvider(KEYS)
    seen = []

    def continuation(details, request):
        seen.append(details.metadata)

    class Details:
        method, timeout, credentials, wait_for_ready, compression = "/m", None, None, None, None
        metadata = None

    auth = ActingUserAuth(tokens)
    auth.intercept_unary_unary(continuation, Details(), graph_service_pb2.FollowRequest(follower_id=5))
    Details.metadata = [("authorization", "Bearer given")]
    auth.intercept_unary_unary(continuation, Details(), graph_service_pb2.FollowRequest(follower_id=5))
    assert principal(seen[0]) == Principal(5)
    assert seen[1] == [("authorization", "Bearer given")]


def test_one_replica_is_its_own_target_and_several_are_one_ipv4_target():
    assert balanced_target(["127.0.0.1:5000"]) == "127.0.0.1:5000"
    assert balanced_target(["127.0.0.1:5000", "127.0.0.1:5001"]) == "ipv4:127.0.0.1:5000,127.0.0.1:5001"


def test_tokens_live_no_longer_than_the_services_accept():
    """With FEED_JWT_MAX_LIFETIME_S under a day, the load kit's day-long tokens were refused at minting."""
    short = AuthKeys("HS256", "s" * 40, "s" * 40, max_lifetime_s=600)
    claims = jwt.decode(TokenProvider(short).token(42), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600
    assert verify(short, f"Bearer {TokenProvider(short).token(42)}") == Principal(42)
