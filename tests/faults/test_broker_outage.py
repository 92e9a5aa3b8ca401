"""A post is durable before its event is published; a failed publish fails the call,
and a retry with the same idempotency key completes it without a duplicate. On both brokers
(test ids `tansu` and `kafka`)."""

from __future__ import annotations

import signal
import time

import grpc
import pytest

from feed.devstack.kafka import STOP_GRACE_S, start_kafka
from feed.v1 import post_service_pb2
from tests.integration.stack import Client, eventually, new_user, private_stack

pytestmark = [pytest.mark.integration, pytest.mark.fault]


@pytest.fixture(scope="module", params=["tansu", "kafka"])
def own_stack(request, tmp_path_factory):
    """A stack and a broker of its own, Tansu or Apache Kafka: freezing it must not disturb the other tests.
    Yields (stack, broker process)."""
    if request.param == "tansu":
        with private_stack(tmp_path_factory, "outage", kafka_timeout_s=2.0) as running:
            yield running, next(p for p in running.processes if p.name.startswith("kafka"))
        return
    broker, bootstrap = start_kafka(tmp_path_factory.mktemp("outage-kafka"))
    try:
        with private_stack(tmp_path_factory, "outage", kafka_timeout_s=2.0, kafka_bootstrap=bootstrap) as running:
            yield running, broker
    finally:
        broker.stop(STOP_GRACE_S)


def test_create_post_with_the_broker_down_fails_then_a_retry_publishes_exactly_one(own_stack):
    own_stack, broker = own_stack
    client = Client(own_stack.settings.write_addr, own_stack.settings.read_addr, own_stack.keys)
    author, fan = new_user(), new_user()
    client.follow(fan, author)
    client.home(fan)
    request = post_service_pb2.CreatePostRequest(author_id=author, text="survives", idempotency_key="outage-1")

    broker.signal(signal.SIGSTOP)  # the broker hangs: connections stay open, nothing answers
    try:
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as err:
            client.posts.CreatePost(request, timeout=30)
        took = time.monotonic() - started
    finally:
        broker.signal(signal.SIGCONT)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert took < own_stack.settings.kafka_timeout_s + 5
    stored = client.user_timeline(author).posts
    assert len(stored) == 1  # durable before the publish was attempted

    def retry():
        try:
            return client.posts.CreatePost(request, timeout=10)
        except grpc.RpcError:
            return None  # the producer may need a moment to reconnect

    post = None
    deadline = time.monotonic() + 30
    while post is None and time.monotonic() < deadline:
        post = retry()
    assert post is not None and post.post_id == stored[0].post_id
    eventually(lambda: [p.post_id for p in client.home(fan).posts] == [post.post_id], timeout_s=30)
    assert [p.post_id for p in client.user_timeline(author).posts] == [post.post_id]
    client.close()
