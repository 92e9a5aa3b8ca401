"""The doorbell on a real redis-server: a ring wakes an idle relay at once; a ring nobody
can hear (Redis down) never fails the write that rang it."""

from __future__ import annotations

import threading
import time

import redis

from feed.actions.sink import EventSink
from feed.devstack.procs import free_port
from feed.events import Followed
from feed.outbox.doorbell import Doorbell, DoorbellListener
from feed.outbox.relay import OutboxRelay
from tests.messaging.in_memory import InMemoryEventPublisher

IDLE_S = 5.0  # the relay's poll: far longer than the wake-up the test waits for


def test_a_ring_wakes_an_idle_relay_long_before_its_next_poll(sqlite_store, redis_client):
    publisher, wake, stop = InMemoryEventPublisher(), threading.Event(), threading.Event()
    listener = DoorbellListener(redis_client, wake).start()
    relay = OutboxRelay(sqlite_store.outbox, publisher, idle_s=IDLE_S, max_idle_s=IDLE_S, wake=wake)
    runner = threading.Thread(target=relay.run, args=(stop,))
    runner.start()
    try:
        time.sleep(0.3)  # the relay's first pass found nothing and idles for IDLE_S
        sqlite_store.graph.follow(1, 2, [EventSink(lambda: 1).entry(Followed(1, 2))])
        rung = time.monotonic()
        bell = Doorbell(redis_client)
        for _ in range(50):  # the subscription may take a moment: ring until heard
            bell.ring()
            if publisher.events:
                break
            time.sleep(0.05)
        assert publisher.events == [Followed(1, 2)]
        assert time.monotonic() - rung < IDLE_S / 2
    finally:
        stop.set()
        wake.set()
        runner.join(IDLE_S * 2)
        listener.stop()


def test_a_ring_with_redis_down_is_quiet():
    Doorbell(redis.Redis(port=free_port(), socket_connect_timeout=0.2)).ring_now()
