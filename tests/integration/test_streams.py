"""WatchHomeTimeline delivers what the home timeline shows, live, once, resumable from a token."""

from __future__ import annotations

import time

import grpc
import pytest

from feed.v1 import feed_service_pb2, feed_service_pb2_grpc
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import eventually, new_user
from tests.integration.streams import Watcher, watch_live

pytestmark = pytest.mark.integration


def test_a_followers_stream_gets_a_new_post_and_its_deletion_within_a_second(stack, client):
    author, follower = new_user(), new_user()
    client.follow(follower, author)
    watcher = watch_live(client, stack.settings.stream_addr, follower, author)
    try:
        created = time.monotonic()
        post = client.post(author, "fresh").post_id
        assert watcher.wait_for(lambda w: post in w.posts(), 5.0)
        assert watcher.arrived[watcher.posts().index(post)] - created < 1.0
        deleted = time.monotonic()
        client.delete(author, post)
        assert watcher.wait_for(lambda w: post in w.deleted(), 5.0)
        assert watcher.arrived[-1] - deleted < 1.0
        assert watcher.posts().count(post) == 1
    finally:
        watcher.close()


def test_resuming_with_the_last_token_delivers_exactly_the_missed_posts_then_live_ones(stack, client):
    author, follower = new_user(), new_user()
    client.follow(follower, author)
    watcher = watch_live(client, stack.settings.stream_addr, follower, author)
    token = watcher.last_token()
    watcher.close()
    missed = [client.post(author, f"while away {n}").post_id for n in range(10)]
    eventually(lambda: set(missed) <= set(client.home_ids(follower)))
    again = Watcher(stack.settings.stream_addr, follower, client.acting_as(follower), token)
    try:
        assert again.wait_for(lambda w: len(w.posts()) >= 10, 10.0), again.posts()
        live = client.post(author, "live").post_id
        assert again.wait_for(lambda w: live in w.posts(), 10.0)
        assert again.posts() == [*missed, live]  # in order, none twice, the missed ones first
    finally:
        again.close()


def test_blocked_authors_and_private_groups_never_arrive_and_new_followees_do(stack, client):
    friend, blocked, newcomer, watcher_id = new_user(), new_user(), new_user(), new_user()
    for followee in (friend, blocked):
        client.follow(watcher_id, followee)
    client.block(watcher_id, blocked)
    secret = client.create_group(friend, "secret", private=True)
    watcher = watch_live(client, stack.settings.stream_addr, watcher_id, friend)
    try:
        hidden = [client.post(blocked, "blocked").post_id, client.post(friend, "in secret", group=secret).post_id]
        client.follow(watcher_id, newcomer)  # while watching; its post may be applied before or after the follow
        shown = client.post(friend, "visible").post_id
        assert watcher.wait_for(lambda w: shown in w.posts())
        followed_later = client.post(newcomer, "from a followee added while watching").post_id
        assert watcher.wait_for(lambda w: followed_later in w.posts()), watcher.posts()
        assert not set(hidden) & set(watcher.posts())
    finally:
        watcher.close()


def test_a_group_post_and_a_read_time_authors_post_arrive(stack, client):
    """The sources a home page merges arrive live too: a group the watcher is in, and an author
    above FEED_CELEBRITY_THRESHOLD whose posts are merged at read time, not fanned out."""
    friend, star, watcher_id = new_user(), new_user(), new_user()
    client.follow(watcher_id, friend)
    client.follow(watcher_id, star)
    for _ in range(CELEBRITY_THRESHOLD):  # the star's posts go to their read-time list only
        client.follow(new_user(), star)
    club = client.create_group(friend, "club")
    client.join(club, watcher_id)
    watcher = watch_live(client, stack.settings.stream_addr, watcher_id, friend)
    try:
        # One at a time, each alone: a post of another source would wake the stream and bring it along.
        loud = client.post(star, "from a star").post_id
        assert watcher.wait_for(lambda w: loud in w.posts(), 5.0), watcher.posts()
        in_club = client.post(friend, "in the club", group=club).post_id
        assert watcher.wait_for(lambda w: in_club in w.posts(), 5.0), watcher.posts()
        assert watcher.posts().count(loud) == watcher.posts().count(in_club) == 1
    finally:
        watcher.close()


def test_the_stream_survives_a_lost_subscription_while_posts_arrive(stack, client):
    import redis

    author, follower = new_user(), new_user()
    client.follow(follower, author)
    watcher = watch_live(client, stack.settings.stream_addr, follower, author)
    admin = redis.Redis.from_url(stack.settings.redis_url)
    try:
        posted = []
        for n in range(20):
            posted.append(client.post(author, f"through a flaky subscription {n}").post_id)
            if n % 5 == 2:
                admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert watcher.wait_for(lambda w: set(posted) <= set(w.posts()), 10.0), set(posted) - set(watcher.posts())
        assert len(watcher.posts()) == len(set(watcher.posts()))
    finally:
        admin.close()
        watcher.close()


def test_the_unary_address_refuses_streams_naming_the_stream_address(stack, client):
    user = new_user()
    with grpc.insecure_channel(stack.settings.read_addr) as channel:
        call = feed_service_pb2_grpc.FeedServiceStub(channel).WatchHomeTimeline(
            feed_service_pb2.WatchHomeTimelineRequest(user_id=user), metadata=client.acting_as(user), timeout=10
        )
        with pytest.raises(grpc.RpcError) as err:
            list(call)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "FEED_STREAM_ADDR" in err.value.details()


def test_the_stream_address_serves_every_unary_method_too(stack, client):
    user = new_user()
    with grpc.insecure_channel(stack.settings.stream_addr) as channel:
        stub = feed_service_pb2_grpc.FeedServiceStub(channel)
        page = stub.GetHomeTimeline(
            feed_service_pb2.GetHomeTimelineRequest(user_id=user), metadata=client.acting_as(user), timeout=10
        )
        assert list(page.posts) == []
        with pytest.raises(grpc.RpcError) as err:
            stub.GetHomeTimeline(
                feed_service_pb2.GetHomeTimelineRequest(user_id=user), metadata=client.acting_as(user + 1), timeout=10
            )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "x-request-id" in dict(err.value.trailing_metadata())


def test_the_stream_address_answers_the_same_pages_of_posts_as_the_unary_one(stack, client):
    author, reader = new_user(), new_user()
    client.follow(reader, author)
    posts = [client.post(author, f"post {n} ✓").post_id for n in range(3)]
    eventually(lambda: set(posts) <= set(client.home_ids(reader)))
    home = feed_service_pb2.GetHomeTimelineRequest(user_id=reader, page_size=2)
    mine = feed_service_pb2.GetUserTimelineRequest(user_id=author, page_size=2)
    pages = []
    for addr in (stack.settings.read_addr, stack.settings.stream_addr):  # spliced bytes on the sync and aio server
        with grpc.insecure_channel(addr) as channel:
            stub = feed_service_pb2_grpc.FeedServiceStub(channel)
            page = stub.GetHomeTimeline(home, metadata=client.acting_as(reader), timeout=10)
            own = stub.GetUserTimeline(mine, metadata=client.acting_as(reader), timeout=10)
            pages.append((list(page.posts), page.next_page_token, list(own.posts), own.next_page_token))
    assert [p.post_id for p in pages[0][0]] == posts[:0:-1]
    assert [p.text for p in pages[0][2]] == ["post 2 ✓", "post 1 ✓"]
    assert pages[0] == pages[1]


def test_a_stream_opened_with_a_pages_prev_token_sends_what_came_after_that_page(stack, client):
    author, follower = new_user(), new_user()
    client.follow(follower, author)
    before = client.post(author, "already on the page").post_id
    eventually(lambda: before in client.home_ids(follower))
    page = client.home(follower, page_size=5)
    after = [client.post(author, f"after the page {n}").post_id for n in range(3)]
    watcher = Watcher(stack.settings.stream_addr, follower, client.acting_as(follower), page.prev_page_token)
    try:
        assert watcher.wait_for(lambda w: len(w.posts()) >= 3), watcher.posts()
        assert watcher.posts() == after
    finally:
        watcher.close()


def test_a_token_that_is_not_a_prev_page_token_is_invalid_argument(stack, client):
    user = new_user()
    watcher = Watcher(stack.settings.stream_addr, user, client.acting_as(user), "garbage")
    try:
        assert watcher.wait_for(lambda w: w.ended is not None)
        assert watcher.ended == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        watcher.close()


def test_the_stream_address_serves_health_reflection_and_counts_streams_in_the_rpc_metrics(stack, client):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from feed.telemetry.scrape import scrape, value

    with grpc.insecure_channel(stack.settings.stream_addr) as channel:
        for service in ("", "feed.v1.FeedService", "liveness"):
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, service
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        assert "feed.v1.FeedService" in {s.name for reply in replies for s in reply.list_services_response.service}
    read = stack.process("read service")
    labels = {"service": "feed.v1.FeedService", "method": "WatchHomeTimeline", "code": "PERMISSION_DENIED"}
    before = value(scrape(read.metrics_url), "feed_rpc_requests_total", **labels)
    user = new_user()
    refused = Watcher(stack.settings.stream_addr, user + 1, client.acting_as(user))
    try:
        assert refused.wait_for(lambda w: w.ended is not None)
        assert refused.ended == grpc.StatusCode.PERMISSION_DENIED
    finally:
        refused.close()
    assert value(scrape(read.metrics_url), "feed_rpc_requests_total", **labels) == before + 1
