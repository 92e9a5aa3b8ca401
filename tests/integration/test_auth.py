"""Authentication and authorization: no token, no call; nobody acts as someone else."""

from __future__ import annotations

import time

import grpc
import jwt
import pytest

from feed.access.tokens import AuthKeys, mint
from feed.v1 import (
    feed_service_pb2,
    feed_service_pb2_grpc,
    filter_service_pb2,
    filter_service_pb2_grpc,
    graph_service_pb2,
    graph_service_pb2_grpc,
    group_service_pb2,
    group_service_pb2_grpc,
    post_service_pb2,
    post_service_pb2_grpc,
)
from tests.integration.stack import client_of, new_user, private_stack

pytestmark = pytest.mark.integration

EVERY_RPC = [
    (
        "write",
        post_service_pb2_grpc.PostServiceStub,
        "CreatePost",
        post_service_pb2.CreatePostRequest(author_id=1, text="x"),
    ),
    (
        "write",
        post_service_pb2_grpc.PostServiceStub,
        "DeletePost",
        post_service_pb2.DeletePostRequest(author_id=1, post_id=1),
    ),
    ("write", post_service_pb2_grpc.PostServiceStub, "GetPost", post_service_pb2.GetPostRequest(post_id=1)),
    ("write", post_service_pb2_grpc.PostServiceStub, "Repost", post_service_pb2.RepostRequest(user_id=1, post_id=1)),
    (
        "write",
        post_service_pb2_grpc.PostServiceStub,
        "Unrepost",
        post_service_pb2.UnrepostRequest(user_id=1, post_id=1),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Follow",
        graph_service_pb2.FollowRequest(follower_id=1, followee_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Unfollow",
        graph_service_pb2.UnfollowRequest(follower_id=1, followee_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Block",
        graph_service_pb2.BlockRequest(blocker_id=1, blocked_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Unblock",
        graph_service_pb2.UnblockRequest(blocker_id=1, blocked_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "ListFollowers",
        graph_service_pb2.ListFollowersRequest(user_id=1),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "ListFollowing",
        graph_service_pb2.ListFollowingRequest(user_id=1),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Mute",
        graph_service_pb2.MuteRequest(muter_id=1, muted_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "Unmute",
        graph_service_pb2.UnmuteRequest(muter_id=1, muted_id=2),
    ),
    (
        "write",
        graph_service_pb2_grpc.GraphServiceStub,
        "ListMutes",
        graph_service_pb2.ListMutesRequest(user_id=1),
    ),
    (
        "write",
        filter_service_pb2_grpc.FilterServiceStub,
        "CreateFilter",
        filter_service_pb2.CreateFilterRequest(user_id=1, phrase="spoiler"),
    ),
    (
        "write",
        filter_service_pb2_grpc.FilterServiceStub,
        "DeleteFilter",
        filter_service_pb2.DeleteFilterRequest(user_id=1, filter_id=1),
    ),
    (
        "write",
        filter_service_pb2_grpc.FilterServiceStub,
        "ListFilters",
        filter_service_pb2.ListFiltersRequest(user_id=1),
    ),
    (
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "GetHomeTimeline",
        feed_service_pb2.GetHomeTimelineRequest(user_id=1),
    ),
    (
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "GetUserTimeline",
        feed_service_pb2.GetUserTimelineRequest(user_id=1),
    ),
    (
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "GetGroupTimeline",
        feed_service_pb2.GetGroupTimelineRequest(group_id=1, user_id=1),
    ),
    (
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "SetReadMarker",
        feed_service_pb2.SetReadMarkerRequest(user_id=1, post_id=1),
    ),
    (
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "GetReadMarker",
        feed_service_pb2.GetReadMarkerRequest(user_id=1),
    ),
    (
        "stream",  # served at FEED_STREAM_ADDR; the call is iterated until its status
        feed_service_pb2_grpc.FeedServiceStub,
        "WatchHomeTimeline",
        feed_service_pb2.WatchHomeTimelineRequest(user_id=1),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "CreateGroup",
        group_service_pb2.CreateGroupRequest(creator_id=1, name="g"),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "GetGroup",
        group_service_pb2.GetGroupRequest(group_id=1, user_id=1),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "JoinGroup",
        group_service_pb2.JoinGroupRequest(group_id=1, user_id=1),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "LeaveGroup",
        group_service_pb2.LeaveGroupRequest(group_id=1, user_id=1),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "ListGroupMembers",
        group_service_pb2.ListGroupMembersRequest(group_id=1, user_id=1),
    ),
    (
        "write",
        group_service_pb2_grpc.GroupServiceStub,
        "ListMyGroups",
        group_service_pb2.ListMyGroupsRequest(user_id=1),
    ),
]


def test_every_rpc_of_every_service_is_in_the_list():
    """Guards EVERY_RPC: a new method must be added to the tests above."""
    declared = {
        m.name
        for module in (post_service_pb2, graph_service_pb2, group_service_pb2, feed_service_pb2, filter_service_pb2)
        for s in module.DESCRIPTOR.services_by_name.values()
        for m in s.methods
    }
    assert {r[2] for r in EVERY_RPC} == declared


def unsigned(claims: dict) -> str:
    """An `alg: none` token: claims with no signature."""
    return jwt.encode(claims, key=None, algorithm="none")


def claims(**changes) -> dict:
    """The claims of a valid token of user 1, but for changes (None removes a claim)."""
    now = int(time.time())
    valid = {"sub": "1", "org": "0", "iat": now, "exp": now + 600, "iss": "feed", "aud": "feed-api"}
    return {k: v for k, v in {**valid, **changes}.items() if v is not None}


def rpc_named(method: str) -> tuple:
    return next(r for r in EVERY_RPC if r[2] == method)


def call(stack, side, stub_class, method, request, authorization=None):
    addr = {"write": stack.settings.write_addr, "read": stack.settings.read_addr}.get(side, stack.settings.stream_addr)
    metadata = [("authorization", authorization)] if authorization is not None else None
    with grpc.insecure_channel(addr) as channel:
        try:
            answer = getattr(stub_class(channel), method)(request, metadata=metadata, timeout=10)
            if side == "stream":
                next(iter(answer))  # a stream's refusal is its status; an accepted one would wait for events
        except grpc.RpcError as err:
            return err.code(), err.details()
    return grpc.StatusCode.OK, ""


@pytest.mark.parametrize(("side", "stub", "method", "request_"), EVERY_RPC, ids=[r[2] for r in EVERY_RPC])
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer garbage", f"Bearer {unsigned(claims())}"],
    ids=["none", "empty", "no-token", "basic", "garbage", "alg-none"],  # alg none: valid claims, no signature
)
def test_every_rpc_refuses_a_missing_or_invalid_token(stack, side, stub, method, request_, authorization):
    code, message = call(stack, side, stub, method, request_, authorization)
    assert code == grpc.StatusCode.UNAUTHENTICATED, message


def refused_tokens(keys: AuthKeys) -> list[tuple[str, str, str]]:
    """(case, token, reason in the refusal): each differs from a valid token in one respect."""

    def signed(**changes) -> str:
        return jwt.encode(claims(**changes), keys.sign_key, algorithm=keys.algorithm)

    return [
        ("expired", mint(keys, 1, ttl_s=1, now=1_000_000), "expired"),
        ("foreign-key", mint(AuthKeys("HS256", "x" * 40, "x" * 40), 1), "not valid"),
        ("alg-none-valid-claims", unsigned(claims()), "not valid"),
        ("wrong-iss", signed(iss="someone-else"), "not valid"),
        ("wrong-aud", signed(aud="another-api"), "not valid"),
        ("nbf-future", signed(nbf=int(time.time()) + 3600), "not valid"),
        ("no-exp", signed(exp=None), "not valid"),
        ("too-long-lived", signed(exp=int(time.time()) + keys.max_lifetime_s + 60), "lifetime"),
        ("rs256-header", _rs256_token(), "not valid"),
    ]


def _rs256_token() -> str:
    """A token of user 1 signed RS256 with a key of its own: the service verifies HS256 only."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return jwt.encode(claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")


def test_a_valid_token_of_these_claims_is_accepted(stack):
    """Guards the refusals below: each is refused for the one thing it changes."""
    token = jwt.encode(claims(), stack.keys.sign_key, algorithm=stack.keys.algorithm)
    side, stub, method, request = rpc_named("GetHomeTimeline")
    assert call(stack, side, stub, method, request, f"Bearer {token}")[0] == grpc.StatusCode.OK


def test_tokens_wrong_in_any_one_respect_are_refused_by_every_service(stack):
    for case, token, reason in refused_tokens(stack.keys):
        methods = ("CreatePost", "CreateGroup", "GetHomeTimeline", "WatchHomeTimeline")
        for side, stub, method, request in map(rpc_named, methods):
            code, message = call(stack, side, stub, method, request, f"Bearer {token}")
            assert code == grpc.StatusCode.UNAUTHENTICATED and reason in message, (case, method, message)


@pytest.mark.parametrize(
    ("side", "stub", "method", "request_"),
    [r for r in EVERY_RPC if r[2] not in ("GetPost", "ListFollowers", "ListFollowing", "GetUserTimeline")],
    ids=lambda r: r if isinstance(r, str) else "",
)
def test_acting_as_another_user_is_permission_denied(stack, side, stub, method, request_):
    mallory = mint(stack.keys, 666)  # every request above acts as user 1
    code, message = call(stack, side, stub, method, request_, f"Bearer {mallory}")
    assert code == grpc.StatusCode.PERMISSION_DENIED, message
    assert "must be the user of the token" in message


def test_posts_and_user_timelines_are_readable_by_anyone_the_author_has_not_blocked(stack, client):
    author, reader, blocked = new_user(), new_user(), new_user()
    post = client.post(author, "public").post_id
    client.block(author, blocked)
    for viewer, expected in ((reader, grpc.StatusCode.OK), (blocked, grpc.StatusCode.PERMISSION_DENIED)):
        token = f"Bearer {mint(stack.keys, viewer)}"
        assert (
            call(
                stack,
                "read",
                feed_service_pb2_grpc.FeedServiceStub,
                "GetUserTimeline",
                feed_service_pb2.GetUserTimelineRequest(user_id=author),
                token,
            )[0]
            == expected
        )
        assert (
            call(
                stack,
                "write",
                post_service_pb2_grpc.PostServiceStub,
                "GetPost",
                post_service_pb2.GetPostRequest(post_id=post),
                token,
            )[0]
            == expected
        )


def test_health_and_reflection_need_no_token(stack):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(stack.settings.read_addr) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_feed_token_prints_a_working_token_as_its_last_word(stack, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, **stack.settings.env()}
    done = subprocess.run(
        [sys.executable, "-m", "feed.cli", "token", "4242"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = done.stdout.split()[-1]
    code, _ = call(
        stack,
        "read",
        feed_service_pb2_grpc.FeedServiceStub,
        "GetHomeTimeline",
        feed_service_pb2.GetHomeTimelineRequest(user_id=4242),
        f"Bearer {token}",
    )
    assert code == grpc.StatusCode.OK


def test_writes_over_the_rate_limit_are_resource_exhausted_with_a_retry_hint(tmp_path_factory):
    limited = private_stack(tmp_path_factory, "rate-limit", write_rate_per_s=1.0, write_burst=3)
    with limited as stack, client_of(stack) as client:
        author, other = new_user(), new_user()
        for i in range(3):
            client.post(author, f"within the burst {i}")
        with pytest.raises(grpc.RpcError) as err:
            client.post(author, "one too many")
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "retry after" in err.value.details()
        trailing = dict(err.value.trailing_metadata())
        assert 0 < int(trailing["retry-after-ms"]) <= 1000
        assert "x-request-id" in trailing
        client.post(other, "another user has a budget of their own")
