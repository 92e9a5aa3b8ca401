"""Bad input gets a clear status and message, never INTERNAL."""

from __future__ import annotations

import grpc
import pytest

from feed.page_tokens import wrap_store_token
from feed.v1 import feed_service_pb2, graph_service_pb2, group_service_pb2, post_service_pb2
from tests.integration.stack import new_user

pytestmark = pytest.mark.integration


def status_of(call, request) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, timeout=10)
    return err.value.code(), err.value.details()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "must not be empty"), ("   \n", "must not be empty"), ("x" * 5001, "limit is 5000")],
)
def test_create_post_rejects_empty_or_too_long_text(client, text, needle):
    code, message = status_of(client.posts.CreatePost, post_service_pb2.CreatePostRequest(author_id=1, text=text))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in message


def test_text_at_the_limit_is_accepted_and_counted_in_characters(client):
    post = client.post(new_user(), "é" * 5000)  # 10,000 bytes, 5,000 characters
    assert len(post.text) == 5000


@pytest.mark.parametrize(
    ("call", "request_"),
    [
        ("posts.CreatePost", post_service_pb2.CreatePostRequest(author_id=0, text="x")),
        ("posts.DeletePost", post_service_pb2.DeletePostRequest(author_id=1, post_id=0)),
        ("posts.DeletePost", post_service_pb2.DeletePostRequest(author_id=0, post_id=1)),
        ("posts.GetPost", post_service_pb2.GetPostRequest(post_id=0)),
        ("posts.Repost", post_service_pb2.RepostRequest(user_id=1, post_id=0)),
        ("posts.Repost", post_service_pb2.RepostRequest(user_id=0, post_id=1)),
        ("posts.Unrepost", post_service_pb2.UnrepostRequest(user_id=1, post_id=0)),
        ("posts.Unrepost", post_service_pb2.UnrepostRequest(user_id=0, post_id=1)),
        ("graph.Follow", graph_service_pb2.FollowRequest(follower_id=0, followee_id=1)),
        ("graph.Unfollow", graph_service_pb2.UnfollowRequest(follower_id=1, followee_id=0)),
        ("graph.ListFollowers", graph_service_pb2.ListFollowersRequest(user_id=0)),
        ("graph.ListFollowing", graph_service_pb2.ListFollowingRequest(user_id=0)),
        ("feed.GetHomeTimeline", feed_service_pb2.GetHomeTimelineRequest(user_id=0)),
        ("feed.GetUserTimeline", feed_service_pb2.GetUserTimelineRequest(user_id=0)),
        ("posts.GetPost", post_service_pb2.GetPostRequest(post_id=2**64 - 1)),
    ],
)
def test_zero_or_out_of_range_ids_are_invalid_arguments(client, call, request_):
    stub, method = call.split(".")
    code, message = status_of(getattr(getattr(client, stub), method), request_)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "must be between 1 and" in message


def test_following_yourself_is_an_invalid_argument(client):
    user = new_user()
    code, message = status_of(client.graph.Follow, graph_service_pb2.FollowRequest(follower_id=user, followee_id=user))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "different users" in message


@pytest.mark.parametrize("token", ["garbage", "AQ", "%%%", "x" * 600])
def test_a_page_token_that_we_did_not_issue_is_an_invalid_argument(client, token):
    request = feed_service_pb2.GetHomeTimelineRequest(user_id=new_user(), page_token=token)
    code, message = status_of(client.feed.GetHomeTimeline, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in message
    request = graph_service_pb2.ListFollowersRequest(user_id=new_user(), page_token=token)
    assert status_of(client.graph.ListFollowers, request)[0] == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("forged", ["abc", "9" * 300, "-1", " 7", "1_0"])
def test_a_forged_store_page_token_is_an_invalid_argument(client, forged):
    """A client can wrap anything in the opaque token's envelope: the store's part is checked too."""
    token = wrap_store_token(forged)
    user = new_user()
    requests = [
        (client.graph.ListFollowers, graph_service_pb2.ListFollowersRequest(user_id=user, page_token=token)),
        (client.graph.ListFollowing, graph_service_pb2.ListFollowingRequest(user_id=user, page_token=token)),
        (client.groups.ListMyGroups, group_service_pb2.ListMyGroupsRequest(user_id=user, page_token=token)),
    ]
    for call, request in requests:
        code, message = status_of(call, request)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in message, (request, message)


def test_negative_page_size_is_an_invalid_argument(client):
    request = feed_service_pb2.GetHomeTimelineRequest(user_id=new_user(), page_size=-1)
    code, message = status_of(client.feed.GetHomeTimeline, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_size" in message


def test_oversized_page_size_is_clamped_to_the_maximum(client):
    author = new_user()
    for i in range(3):
        client.post(author, f"p{i}")
    page = client.user_timeline(author, page_size=10_000)
    assert len(page.posts) == 3


def test_unknown_post_is_not_found(client):
    code, message = status_of(client.posts.GetPost, post_service_pb2.GetPostRequest(post_id=123456789))
    assert code == grpc.StatusCode.NOT_FOUND and "123456789" in message
    code, _ = status_of(client.posts.DeletePost, post_service_pb2.DeletePostRequest(author_id=1, post_id=123456789))
    assert code == grpc.StatusCode.NOT_FOUND


def test_deleting_another_authors_post_is_permission_denied_and_keeps_it(client):
    author, intruder = new_user(), new_user()
    post = client.post(author, "mine")
    request = post_service_pb2.DeletePostRequest(author_id=intruder, post_id=post.post_id)
    code, message = status_of(client.posts.DeletePost, request)
    assert code == grpc.StatusCode.PERMISSION_DENIED and "author" in message
    assert client.posts.GetPost(post_service_pb2.GetPostRequest(post_id=post.post_id)).post_id == post.post_id


def test_create_post_retried_with_the_same_key_returns_the_same_post_and_creates_nothing(client):
    author = new_user()
    first = client.post(author, "only once", key="retry-1")
    again = client.post(author, "only once", key="retry-1")
    assert again == first
    assert [p.post_id for p in client.user_timeline(author).posts] == [first.post_id]
    other = client.post(author, "another", key="retry-2")
    assert other.post_id != first.post_id


def test_too_long_idempotency_key_is_an_invalid_argument(client):
    request = post_service_pb2.CreatePostRequest(author_id=1, text="x", idempotency_key="k" * 129)
    assert status_of(client.posts.CreatePost, request)[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_a_request_over_the_message_size_limit_is_refused(client):
    request = post_service_pb2.CreatePostRequest(author_id=new_user(), text="x" * (2 << 20))
    code, _ = status_of(client.posts.CreatePost, request)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
