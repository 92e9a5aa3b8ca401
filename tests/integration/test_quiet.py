"""Mutes and keyword filters through gRPC on a running stack: hidden at once from home pages, group
timelines and the stream, back when they end; bounded, private, the caller's own."""

from __future__ import annotations

import time

import grpc
import pytest

from feed.actions.quiet import MAX_DURATION_S, MAX_FILTERS
from feed.v1 import filter_service_pb2, graph_service_pb2
from tests.integration.stack import eventually, new_user
from tests.integration.streams import watch_live

pytestmark = pytest.mark.integration


def code_of(call, *args) -> grpc.StatusCode:
    try:
        call(*args)
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def create_filter(client, user: int, phrase: str, whole_word: bool = False, duration_s: int = 0):
    request = filter_service_pb2.CreateFilterRequest(
        user_id=user, phrase=phrase, whole_word=whole_word, duration_s=duration_s
    )
    return client.filters.CreateFilter(request, timeout=10)


def delete_filter(client, user: int, filter_id: int) -> None:
    client.filters.DeleteFilter(filter_service_pb2.DeleteFilterRequest(user_id=user, filter_id=filter_id), timeout=10)


def list_mutes(client, user: int, page_size: int = 0, token: str = ""):
    request = graph_service_pb2.ListMutesRequest(user_id=user, page_size=page_size, page_token=token)
    return client.graph.ListMutes(request, timeout=10)


def test_a_3_s_mute_hides_the_authors_posts_at_once_everywhere_and_they_come_back(stack, client):
    """What must hold 2: home pages (posts already there included), the group timeline and the stream."""
    a, b, c = new_user(), new_user(), new_user()
    client.follow(c, a)
    client.follow(c, b)
    group = client.create_group(b, "club")
    client.join(group, a)
    client.join(group, c)
    old = client.post(a, "before the mute").post_id
    in_group = client.post(a, "in the club", group=group).post_id
    eventually(lambda: {old, in_group} <= set(client.home_ids(c)))

    client.mute(c, a, duration_s=3)
    muted_at = time.monotonic()
    assert not {old, in_group} & set(client.home_ids(c))  # at once, from the call's return
    assert in_group not in [p.post_id for p in client.group_timeline(group, c).posts]
    assert in_group in [p.post_id for p in client.group_timeline(group, b).posts]  # others see it

    watcher = watch_live(client, stack.settings.stream_addr, c, b)
    try:
        during = client.post(a, "while muted").post_id
        shown = client.post(b, "after it").post_id
        assert watcher.wait_for(lambda w: shown in w.posts(), 5.0)
        assert during not in watcher.posts()  # the stream read it in order with b's: it was hidden
        assert time.monotonic() - muted_at < 3.0, "too slow to tell: the mute ended during the check"
    finally:
        watcher.close()
    eventually(lambda: {old, in_group, during} <= set(client.home_ids(c)), timeout_s=10)
    assert time.monotonic() - muted_at >= 2.9  # back only once the mute ended
    assert in_group in [p.post_id for p in client.group_timeline(group, c).posts]


def test_unmute_brings_the_posts_back_at_once(stack, client):
    a, c = new_user(), new_user()
    client.follow(c, a)
    post = client.post(a, "hello").post_id
    eventually(lambda: post in client.home_ids(c))
    client.mute(c, a)
    assert post not in client.home_ids(c)
    client.unmute(c, a)
    assert post in client.home_ids(c)


def test_a_whole_word_filter_hides_spoiler_alert_not_spoilers_until_deleted(stack, client):
    """What must hold 3."""
    a, c = new_user(), new_user()
    client.follow(c, a)
    alert, plural = client.post(a, "Spoiler alert!").post_id, client.post(a, "I love spoilers").post_id
    eventually(lambda: {alert, plural} <= set(client.home_ids(c)))
    made = create_filter(client, c, "spoiler", whole_word=True)
    assert (made.phrase, made.whole_word, made.HasField("expire_time")) == ("spoiler", True, False)
    home = client.home_ids(c)
    assert alert not in home and plural in home
    assert [
        f.filter_id for f in client.filters.ListFilters(filter_service_pb2.ListFiltersRequest(user_id=c)).filters
    ] == [made.filter_id]
    delete_filter(client, c, made.filter_id)
    assert {alert, plural} <= set(client.home_ids(c))


def test_a_filter_with_a_duration_expires(stack, client):
    a, c = new_user(), new_user()
    client.follow(c, a)
    post = client.post(a, "Осторожно, СПОЙЛЕР!").post_id
    eventually(lambda: post in client.home_ids(c))
    made = create_filter(client, c, "спойлер", whole_word=True, duration_s=1)
    assert made.HasField("expire_time")
    assert post not in client.home_ids(c)
    eventually(lambda: post in client.home_ids(c), timeout_s=5)
    assert list(client.filters.ListFilters(filter_service_pb2.ListFiltersRequest(user_id=c)).filters) == []


def test_filter_bounds_are_invalid_argument(stack, client):
    c = new_user()
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(create_filter, client, c, "") == invalid
    assert code_of(create_filter, client, c, "   ") == invalid
    assert code_of(create_filter, client, c, "x" * 101) == invalid
    assert code_of(create_filter, client, c, " " + "x" * 100 + " ") == grpc.StatusCode.OK  # trimmed: 100
    assert code_of(create_filter, client, c, "x", False, -1) == invalid
    assert code_of(create_filter, client, c, "x", False, MAX_DURATION_S + 1) == invalid
    for n in range(MAX_FILTERS - 1):
        create_filter(client, c, f"word{n}")
    assert code_of(create_filter, client, c, "one too many") == invalid


def test_another_users_filter_is_not_found_like_an_unknown_one(stack, client):
    owner, other = new_user(), new_user()
    made = create_filter(client, owner, "secret")
    assert code_of(delete_filter, client, other, made.filter_id) == grpc.StatusCode.NOT_FOUND
    assert code_of(delete_filter, client, other, made.filter_id + 1) == grpc.StatusCode.NOT_FOUND
    assert len(client.filters.ListFilters(filter_service_pb2.ListFiltersRequest(user_id=owner)).filters) == 1


def test_mute_errors(stack, client):
    c, a = new_user(), new_user()
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(client.mute, c, c) == invalid
    assert code_of(client.mute, c, a, -1) == invalid
    assert code_of(client.mute, c, a, MAX_DURATION_S + 1) == invalid
    assert code_of(client.mute, c, a, MAX_DURATION_S) == grpc.StatusCode.OK
    request = graph_service_pb2.MuteRequest(muter_id=c, muted_id=a)
    denied = code_of(lambda: client.graph.Mute(request, metadata=client.acting_as(a), timeout=10))
    assert denied == grpc.StatusCode.PERMISSION_DENIED  # nobody mutes on someone else's behalf
    listing = graph_service_pb2.ListMutesRequest(user_id=c)
    assert code_of(lambda: client.graph.ListMutes(listing, metadata=client.acting_as(a), timeout=10)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_list_mutes_pages_the_active_mutes_with_their_expiry(stack, client):
    c = new_user()
    forever, lapsing = [new_user() for _ in range(4)], new_user()
    for muted in forever:
        client.mute(c, muted)
    client.mute(c, lapsing, 1)
    page = list_mutes(client, c)
    assert {m.user_id: m.HasField("expire_time") for m in page.mutes} == {
        **dict.fromkeys(forever, False),
        lapsing: True,
    }
    eventually(lambda: lapsing not in [m.user_id for m in list_mutes(client, c).mutes], timeout_s=5)
    listed, token = [], ""
    for _ in range(10):
        page = list_mutes(client, c, 3, token)
        assert len(page.mutes) <= 3
        listed += [m.user_id for m in page.mutes]
        token = page.next_page_token
        if not token:
            break
    assert listed == sorted(forever)


def test_the_muted_user_can_tell_nothing(stack, client):
    a, c = new_user(), new_user()
    client.follow(c, a)
    post = client.post(a, "hi").post_id

    def seen_by_a():
        followers = client.graph.ListFollowers(graph_service_pb2.ListFollowersRequest(user_id=a), timeout=10)
        following = client.graph.ListFollowing(graph_service_pb2.ListFollowingRequest(user_id=c), timeout=10)
        return (
            list(followers.follower_ids),
            list(following.followee_ids),
            [p.post_id for p in client.user_timeline(a).posts],
            [p.post_id for p in client.user_timeline(c).posts],
            client.home_ids(a),
        )

    before = seen_by_a()
    client.mute(c, a)
    assert seen_by_a() == before
    assert post in [p.post_id for p in client.user_timeline(a).posts]
    listing = graph_service_pb2.ListMutesRequest(user_id=c)
    assert code_of(lambda: client.graph.ListMutes(listing, metadata=client.acting_as(a), timeout=10)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
