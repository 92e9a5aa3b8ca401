"""A broker that stops answering does not stop the write path: posts are stored with their
events in the outbox, the calls succeed, and the relay delivers every one once the broker is
back. On both brokers (test ids `tansu` and `kafka`)."""

from __future__ import annotations

import signal
import time

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


OUTAGE_S = 10.0
CATCH_UP_S = 30.0


def test_posts_made_while_the_broker_is_stopped_succeed_and_reach_every_follower_after(own_stack):
    own_stack, broker = own_stack
    client = Client(own_stack.settings.write_addr, own_stack.settings.read_addr, own_stack.keys)
    authors = [new_user() for _ in range(3)]
    fans = {author: [new_user(), new_user()] for author in authors}
    for author, followers in fans.items():
        for fan in followers:
            client.follow(fan, author)
            client.home(fan)  # their timelines exist in Redis: fan-out writes into them
    made: list[tuple[int, int]] = []  # (author, post id) of every call that succeeded

    broker.signal(signal.SIGSTOP)  # the broker hangs: connections stay open, nothing answers
    try:
        stopped_until = time.monotonic() + OUTAGE_S
        n = 0
        while time.monotonic() < stopped_until:
            author = authors[n % len(authors)]
            key = f"outage-{n}" if n % 2 else ""  # with and without idempotency keys
            post = client.posts.CreatePost(
                post_service_pb2.CreatePostRequest(author_id=author, text=f"during {n}", idempotency_key=key),
                timeout=5,
            )
            made.append((author, post.post_id))
            n += 1
            time.sleep(0.05)
    finally:
        broker.signal(signal.SIGCONT)
    assert len(made) >= 20  # the write path never waited for the broker

    def delivered() -> bool:
        for author, followers in fans.items():
            stored = {p.post_id for p in client.user_timeline(author, page_size=100).posts}
            for fan in followers:
                if not stored <= set(client.home_ids(fan)):
                    return False
        return True

    eventually(delivered, timeout_s=CATCH_UP_S)
    for author in authors:
        stored = {p.post_id for p in client.user_timeline(author, page_size=100).posts}
        assert stored == {post_id for a, post_id in made if a == author}  # every accepted call, once
    client.close()
