"""A post travels through gRPC, Kafka and the fan-out workers into Redis timelines and back."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from tests.client.stack_client import client_for
from tests.integration.stack import eventually, new_user

pytestmark = pytest.mark.integration


def test_followers_see_a_post_within_a_second_and_strangers_never(client):
    author, fan, stranger = new_user(), new_user(), new_user()
    for user in (author, fan, stranger):
        client.home(user)  # their timelines exist in Redis, so this exercises fan-out, not rebuild
    client.follow(fan, author)
    posted = time.monotonic()
    post = client.post(author, "hello, followers")

    def visible_to(user: int) -> bool:
        return [p.post_id for p in client.home(user).posts] == [post.post_id]

    eventually(lambda: visible_to(fan) and visible_to(author), timeout_s=5)  # your own posts are in your home too
    assert time.monotonic() - posted < 1.0
    assert client.home(stranger).posts == []
    seen = client.home(fan).posts[0]
    assert (seen.author_id, seen.text) == (author, "hello, followers")
    assert seen.create_time.seconds > 0
    assert [p.post_id for p in client.user_timeline(author).posts] == [post.post_id]


def test_home_timeline_is_newest_first_across_authors(client):
    fan, a, b = new_user(), new_user(), new_user()
    client.follow(fan, a)
    client.follow(fan, b)
    client.home(fan)
    ids = [client.post(author, f"post {i}").post_id for i, author in enumerate([a, b, a, b, a])]
    eventually(lambda: len(client.home(fan).posts) == 5)
    assert [p.post_id for p in client.home(fan).posts] == sorted(ids, reverse=True)


def test_a_user_who_never_read_gets_their_timeline_built_on_first_read(client):
    author, fan = new_user(), new_user()
    client.follow(fan, author)
    ids = [client.post(author, f"p{i}").post_id for i in range(3)]
    assert [p.post_id for p in client.home(fan).posts] == list(reversed(ids))


def test_paging_returns_every_post_once_in_order_while_new_posts_arrive(stack, client):
    author, fan = new_user(), new_user()
    client.follow(fan, author)
    client.home(fan)
    before = [client.post(author, f"old {i}").post_id for i in range(25)]
    eventually(lambda: len(client.home_ids(fan)) == 25)

    stop = threading.Event()
    newer: list[int] = []

    def keep_posting() -> None:
        while not stop.is_set() and len(newer) < 50:
            newer.append(client.post(author, "new").post_id)

    writer = threading.Thread(target=keep_posting)
    writer.start()
    try:
        with client_for(stack) as reader:  # feed.client: its iterator follows next_page_token
            seen = [post.post_id for post in reader.home_timeline(fan, page_size=4)]
    finally:
        stop.set()
        writer.join()
    first_page_top = seen[0]
    expected = sorted((i for i in before + newer if i <= first_page_top), reverse=True)
    assert seen == expected
    assert set(before) <= set(seen)
    assert len(seen) == len(set(seen))


def test_page_size_bounds_each_page_and_the_last_page_has_no_token(client):
    author = new_user()
    client.home(author)
    ids = [client.post(author, f"p{i}").post_id for i in range(5)]
    eventually(lambda: len(client.home_ids(author)) == 5)
    first = client.home(author, 2)
    second = client.home(author, 2, first.next_page_token)
    third = client.home(author, 2, second.next_page_token)
    assert [len(first.posts), len(second.posts), len(third.posts)] == [2, 2, 1]
    assert third.next_page_token == ""
    assert [p.post_id for page in (first, second, third) for p in page.posts] == list(reversed(ids))
    user_pages = [client.user_timeline(author, 3)]
    user_pages.append(client.user_timeline(author, 3, user_pages[0].next_page_token))
    assert [p.post_id for page in user_pages for p in page.posts] == list(reversed(ids))
    assert user_pages[1].next_page_token == ""


def test_deleted_post_leaves_every_timeline_and_is_not_found(client):
    author, fan = new_user(), new_user()
    client.follow(fan, author)
    client.home(fan)
    keep = client.post(author, "keep").post_id
    gone = client.post(author, "delete me").post_id
    eventually(lambda: len(client.home(fan).posts) == 2)

    client.delete(author, gone)
    for user in (author, fan):
        assert [p.post_id for p in client.home(user).posts] == [keep]
    assert [p.post_id for p in client.user_timeline(author).posts] == [keep]
    with pytest.raises(grpc.RpcError) as err:
        client.posts.GetPost(_get(gone))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_deleted_post_is_removed_from_redis_not_only_hidden(client, stack):
    from feed.redis.connection import connect
    from feed.redis.keys import home_timeline_key

    author, fan = new_user(), new_user()
    client.follow(fan, author)
    client.home(fan)
    gone = client.post(author, "x").post_id
    eventually(lambda: len(client.home(fan).posts) == 1)
    client.delete(author, gone)
    redis = connect(stack.settings.redis_url)
    eventually(lambda: str(gone).encode() not in redis.lrange(home_timeline_key(fan), 0, -1))


def test_get_post_returns_the_post(client):
    author = new_user()
    post = client.post(author, "find me")
    got = client.posts.GetPost(_get(post.post_id))
    assert got == post


def test_follow_lists_page_through_every_edge(client):
    star = new_user()
    fans = [new_user() for _ in range(7)]
    for fan in fans:
        client.follow(fan, star)
    from feed.v1 import graph_service_pb2

    seen: list[int] = []
    token = ""
    for _ in range(10):
        page = client.graph.ListFollowers(
            graph_service_pb2.ListFollowersRequest(user_id=star, page_size=3, page_token=token)
        )
        seen += page.follower_ids
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(fans)
    following = client.graph.ListFollowing(graph_service_pb2.ListFollowingRequest(user_id=fans[0]))
    assert list(following.followee_ids) == [star]


def test_health_and_reflection_are_served(stack):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    for addr, service in (
        (stack.settings.write_addr, "feed.v1.PostService"),
        (stack.settings.read_addr, "feed.v1.FeedService"),
    ):
        with grpc.insecure_channel(addr) as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
            assert status.status == health_pb2.HealthCheckResponse.SERVING
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            names = {s.name for reply in replies for s in reply.list_services_response.service}
            assert service in names and "grpc.health.v1.Health" in names


def _get(post_id: int):
    from feed.v1 import post_service_pb2

    return post_service_pb2.GetPostRequest(post_id=post_id)
