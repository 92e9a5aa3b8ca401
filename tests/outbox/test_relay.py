"""The outbox relay over a real SQLite store and the in-memory publisher: order, at least once, no skip."""

from __future__ import annotations

import threading

import pytest

from feed.actions.sink import EventSink
from feed.errors import Unavailable
from feed.events import Followed, PostCreated, Unfollowed
from feed.outbox.relay import OutboxRelay
from feed.store.base import Store
from tests.messaging.in_memory import InMemoryEventPublisher

SINK = EventSink(lambda: 1_700_000_000_000)


def record(store: Store, *events) -> None:
    """Store one change per event, each with its event, as the write path does."""
    for n, event in enumerate(events):
        store.graph.follow(10_000 + n, 20_000 + n, [SINK.entry(event)])


class RefusesAcknowledgement:
    """An outbox whose acknowledge() fails: a relay that dies after publishing, before acknowledging."""

    def __init__(self, outbox) -> None:
        self._outbox = outbox

    def acknowledge(self, records) -> None:
        raise Unavailable("the store did not answer")

    def __getattr__(self, name: str):
        return getattr(self._outbox, name)


def test_a_pass_publishes_every_record_in_the_order_recorded_and_acknowledges_it(sqlite_store):
    events = [Followed(1, 2), PostCreated(5, 1), Unfollowed(1, 2)]
    record(sqlite_store, *events)
    publisher = InMemoryEventPublisher()
    assert OutboxRelay(sqlite_store.outbox, publisher).pass_once() == 3
    assert publisher.events == events
    assert sqlite_store.outbox.pending(10) == []
    assert OutboxRelay(sqlite_store.outbox, publisher).pass_once() == 0


def test_a_broker_that_refuses_leaves_everything_pending_and_the_next_pass_sends_it_in_order(sqlite_store):
    publisher = InMemoryEventPublisher()
    relay = OutboxRelay(sqlite_store.outbox, publisher, batch=2)
    record(sqlite_store, Followed(1, 2))
    publisher.failure = Unavailable("broker down")
    with pytest.raises(Unavailable):
        relay.pass_once()
    record(sqlite_store, Unfollowed(1, 2), Followed(1, 3))  # recorded while the broker was down
    publisher.failure = None
    while relay.pass_once():
        pass
    assert publisher.events == [Followed(1, 2), Unfollowed(1, 2), Followed(1, 3)]


def test_records_published_but_not_acknowledged_are_published_again_never_lost(sqlite_store):
    record(sqlite_store, Followed(1, 2), Followed(3, 4))
    publisher = InMemoryEventPublisher()
    with pytest.raises(Unavailable):
        OutboxRelay(RefusesAcknowledgement(sqlite_store.outbox), publisher).pass_once()
    OutboxRelay(sqlite_store.outbox, publisher).pass_once()  # the next relay, after a restart
    assert publisher.events == [Followed(1, 2), Followed(3, 4)] * 2  # at least once


def test_run_retries_a_refusing_broker_until_it_answers_and_stops_when_told(sqlite_store):
    publisher = InMemoryEventPublisher()
    publisher.failure = Unavailable("broker down")
    record(sqlite_store, Followed(1, 2))
    relay = OutboxRelay(sqlite_store.outbox, publisher, idle_s=0.001)
    stop = threading.Event()
    runner = threading.Thread(target=relay.run, args=(stop,))
    runner.start()
    try:
        threading.Timer(0.3, lambda: setattr(publisher, "failure", None)).start()
        for _ in range(500):
            if publisher.events:
                break
            stop.wait(0.01)
        assert publisher.events == [Followed(1, 2)]
    finally:
        stop.set()
        runner.join(5)
    assert not runner.is_alive()


class RecordsWaits:
    """A stop flag that records how long the relay asked to wait, and stops it after `passes` waits."""

    def __init__(self, passes: int) -> None:
        self.waits: list[float] = []
        self._passes = passes

    def is_set(self) -> bool:
        return len(self.waits) >= self._passes

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return self.is_set()


def test_an_idle_relay_waits_longer_after_each_empty_pass_and_shortest_again_once_records_come(sqlite_store):
    relay = OutboxRelay(sqlite_store.outbox, InMemoryEventPublisher(), idle_s=0.005, max_idle_s=0.04)
    idle = RecordsWaits(5)
    relay.run(idle)
    assert idle.waits == [0.01, 0.02, 0.04, 0.04, 0.04]
    record(sqlite_store, Followed(1, 2))
    busy = RecordsWaits(1)
    relay.run(busy)
    assert busy.waits == [0.005]
