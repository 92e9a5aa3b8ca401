"""The write service's edge: requests become use-case calls, answers become protobuf, errors statuses."""

from __future__ import annotations

import grpc
import pytest

from feed.events import Followed, GroupJoined, PostCreated, PostDeleted, Unfollowed
from feed.ids import MAX_ID
from feed.v1 import graph_service_pb2, group_service_pb2, post_service_pb2
from tests.services.conftest import NOW_MS

ALICE, BOB, CAROL = 1, 2, 3


@pytest.fixture
def service(start_write_service):
    return start_write_service()


def _status(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def test_create_post_answers_the_stored_post_and_publishes_it(service):
    request = post_service_pb2.CreatePostRequest(author_id=ALICE, text="héllo", idempotency_key="k")
    post = service.posts.CreatePost(request, metadata=service.as_user(ALICE, 7), timeout=10)
    assert (post.author_id, post.text, post.org_id, post.group_id) == (ALICE, "héllo", 7, 0)
    assert post.create_time.ToMilliseconds() == NOW_MS
    assert service.publisher.events == [PostCreated(post.post_id, ALICE, 7)]
    fetched = service.posts.GetPost(
        post_service_pb2.GetPostRequest(post_id=post.post_id), metadata=service.as_user(BOB, 7)
    )
    assert fetched == post


def test_delete_post_removes_it_and_get_post_then_answers_not_found(service):
    alice = service.as_user(ALICE)
    post = service.posts.CreatePost(post_service_pb2.CreatePostRequest(author_id=ALICE, text="x"), metadata=alice)
    service.posts.DeletePost(post_service_pb2.DeletePostRequest(author_id=ALICE, post_id=post.post_id), metadata=alice)
    assert service.publisher.events[-1] == PostDeleted(post.post_id, ALICE, 0)
    code, message = _status(service.posts.GetPost, post_service_pb2.GetPostRequest(post_id=post.post_id), alice)
    assert (code, message) == (grpc.StatusCode.NOT_FOUND, f"post {post.post_id} not found")


@pytest.mark.parametrize("bad_id", [0, MAX_ID + 1])
def test_an_id_out_of_range_is_an_invalid_argument_naming_the_field(service, bad_id):
    code, message = _status(
        service.posts.DeletePost,
        post_service_pb2.DeletePostRequest(author_id=ALICE, post_id=bad_id),
        service.as_user(ALICE),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert message == f"post_id must be between 1 and {MAX_ID}, got {bad_id}"


def test_acting_as_another_user_is_permission_denied(service):
    code, message = _status(
        service.graph.Follow,
        graph_service_pb2.FollowRequest(follower_id=BOB, followee_id=CAROL),
        service.as_user(ALICE),
    )
    assert (code, message) == (grpc.StatusCode.PERMISSION_DENIED, "follower_id must be the user of the token")
    assert service.publisher.envelopes == []


def test_another_organizations_post_is_not_found(service):
    post = service.posts.CreatePost(
        post_service_pb2.CreatePostRequest(author_id=ALICE, text="x"), metadata=service.as_user(ALICE, 7)
    )
    code, message = _status(
        service.posts.GetPost, post_service_pb2.GetPostRequest(post_id=post.post_id), service.as_user(CAROL, 8)
    )
    assert (code, message) == (grpc.StatusCode.NOT_FOUND, f"post {post.post_id} not found")


def test_a_follow_refused_by_a_block_is_a_failed_precondition(service):
    service.graph.Block(graph_service_pb2.BlockRequest(blocker_id=BOB, blocked_id=ALICE), metadata=service.as_user(BOB))
    code, message = _status(
        service.graph.Follow,
        graph_service_pb2.FollowRequest(follower_id=ALICE, followee_id=BOB),
        service.as_user(ALICE),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert message == "this user has blocked you; you cannot follow them"
    assert service.publisher.events == [Unfollowed(BOB, ALICE, 0), Unfollowed(ALICE, BOB, 0)]


def test_follow_lists_page_through_opaque_tokens(service):
    alice = service.as_user(ALICE)
    service.graph.ListFollowing(graph_service_pb2.ListFollowingRequest(user_id=ALICE), metadata=alice)  # signs in
    for follower in (11, 12, 13):
        request = graph_service_pb2.FollowRequest(follower_id=follower, followee_id=ALICE)
        service.graph.Follow(request, metadata=service.as_user(follower))
    first = service.graph.ListFollowers(
        graph_service_pb2.ListFollowersRequest(user_id=ALICE, page_size=2), metadata=alice
    )
    rest = service.graph.ListFollowers(
        graph_service_pb2.ListFollowersRequest(user_id=ALICE, page_size=2, page_token=first.next_page_token),
        metadata=alice,
    )
    assert sorted([*first.follower_ids, *rest.follower_ids]) == [11, 12, 13]
    assert first.next_page_token and rest.next_page_token == ""
    assert service.publisher.events == [Followed(f, ALICE, 0) for f in (11, 12, 13)]
    code, _ = _status(
        service.graph.ListFollowers, graph_service_pb2.ListFollowersRequest(user_id=ALICE, page_token="forged"), alice
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_write_past_the_rate_limit_is_resource_exhausted_with_a_retry_hint(start_write_service):
    service = start_write_service(rate_per_s=0.01, burst=1)
    alice = service.as_user(ALICE)
    service.posts.CreatePost(post_service_pb2.CreatePostRequest(author_id=ALICE, text="one"), metadata=alice)
    with pytest.raises(grpc.RpcError) as err:
        service.posts.CreatePost(post_service_pb2.CreatePostRequest(author_id=ALICE, text="two"), metadata=alice)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry_after = dict(err.value.trailing_metadata())["retry-after-ms"]
    assert int(retry_after) > 0


def test_a_get_post_past_the_read_limit_is_resource_exhausted_and_spends_no_write(start_write_service):
    service = start_write_service(rate_per_s=0.01, burst=2, read_rate_per_s=0.01, read_burst=2)
    alice = service.as_user(ALICE)
    post = service.posts.CreatePost(post_service_pb2.CreatePostRequest(author_id=ALICE, text="one"), metadata=alice)
    request = post_service_pb2.GetPostRequest(post_id=post.post_id)
    for _ in range(2):
        assert service.posts.GetPost(request, metadata=alice) == post
    with pytest.raises(grpc.RpcError) as err:
        service.posts.GetPost(request, metadata=alice)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "too many reads; retry after" in err.value.details()
    assert int(dict(err.value.trailing_metadata())["retry-after-ms"]) > 0
    assert service.posts.GetPost(request, metadata=service.as_user(BOB)) == post  # Bob's budget is his own
    service.posts.CreatePost(post_service_pb2.CreatePostRequest(author_id=ALICE, text="two"), metadata=alice)


def test_groups_convert_visibility_and_kind_both_ways(service):
    alice, bob = service.as_user(ALICE, 7), service.as_user(BOB, 7)
    private = service.groups.CreateGroup(
        group_service_pb2.CreateGroupRequest(
            creator_id=ALICE, name="club", visibility=group_service_pb2.GROUP_VISIBILITY_PRIVATE
        ),
        metadata=alice,
    )
    assert (private.org_id, private.name, private.creator_id) == (7, "club", ALICE)
    assert private.visibility == group_service_pb2.GROUP_VISIBILITY_PRIVATE
    assert private.kind == group_service_pb2.GROUP_KIND_REGULAR
    assert private.create_time.ToMilliseconds() == NOW_MS
    unspecified = service.groups.CreateGroup(
        group_service_pb2.CreateGroupRequest(creator_id=ALICE, name="o"), metadata=alice
    )
    assert unspecified.visibility == group_service_pb2.GROUP_VISIBILITY_OPEN
    code, message = _status(
        service.groups.CreateGroup,
        group_service_pb2.CreateGroupRequest(creator_id=ALICE, name="x", visibility=9),
        alice,
    )
    assert (code, message) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "visibility must be GROUP_VISIBILITY_OPEN or GROUP_VISIBILITY_PRIVATE",
    )
    code, _ = _status(
        service.groups.GetGroup, group_service_pb2.GetGroupRequest(group_id=private.group_id, user_id=BOB), bob
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_a_joined_group_is_listed_among_the_members_groups(service):
    alice, bob = service.as_user(ALICE, 7), service.as_user(BOB, 7)
    group = service.groups.CreateGroup(group_service_pb2.CreateGroupRequest(creator_id=ALICE, name="g"), metadata=alice)
    service.groups.JoinGroup(group_service_pb2.JoinGroupRequest(group_id=group.group_id, user_id=BOB), metadata=bob)
    mine = service.groups.ListMyGroups(group_service_pb2.ListMyGroupsRequest(user_id=BOB), metadata=bob)
    assert group in mine.groups
    assert {g.kind for g in mine.groups} == {
        group_service_pb2.GROUP_KIND_REGULAR,
        group_service_pb2.GROUP_KIND_ANNOUNCEMENTS,
    }
    assert service.publisher.events == [GroupJoined(group.group_id, BOB, 7)]


def test_a_retry_with_the_key_gets_the_same_post_and_its_event_is_recorded_once(service):
    alice = service.as_user(ALICE)
    request = post_service_pb2.CreatePostRequest(author_id=ALICE, text="x", idempotency_key="retry-me")
    post = service.posts.CreatePost(request, metadata=alice)
    again = service.posts.CreatePost(request, metadata=alice)
    assert again == post
    assert service.publisher.events == [PostCreated(post.post_id, ALICE, 0)]
