"""A rebalance during a failing batch: the worker touches only partitions it still owns."""

from __future__ import annotations

import threading
import types

from kafka import TopicPartition
from kafka.errors import IllegalStateError

from feed.errors import Unavailable
from feed.events import Envelope, PostCreated, encode
from feed.fanout.plan import FanoutPlan
from workers import fanout_worker
from workers.fanout_worker import FanoutWorker

A, B = TopicPartition("feed.events", 0), TopicPartition("feed.events", 1)


def record(tp: TopicPartition, offset: int, post_id: int) -> types.SimpleNamespace:
    value = encode(Envelope(f"e{post_id}", 0, PostCreated(post_id, 7)))
    return types.SimpleNamespace(
        topic=tp.topic, partition=tp.partition, offset=offset, key=b"k", value=value, headers=[]
    )


class RevokingConsumer:
    """Behaves as kafka-python's consumer does for partitions it lost: seek raises."""

    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned = owned
        self.committed: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if partition not in self.owned:
            raise IllegalStateError(f"No current assignment for partition {partition}")

    def commit(self, offsets) -> None:
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})

    def pause(self, *partitions) -> None: ...

    def resume(self, *partitions) -> None: ...

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict:
        return {}


class InMemoryDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[object, str]] = []

    def send(self, record, reason: str) -> None:
        self.sent.append((record, reason))

    def flush(self) -> int:
        return len(self.sent)


def worker_on(consumer: RevokingConsumer) -> FanoutWorker:
    worker = FanoutWorker.__new__(FanoutWorker)  # the loop's state only: no broker, store or Redis
    worker.consumer = consumer
    worker.settings = types.SimpleNamespace(celebrity_threshold=100, fanout_batch_max=100)
    worker.store = worker.read_time = None
    worker.timelines = types.SimpleNamespace(max_entries=800)
    worker.retirer = types.SimpleNamespace(after_batch=lambda org_ids: None)  # no read-time registry here
    worker.publish = lambda channel, message: None  # no applied notifications here
    worker.dead_letters = InMemoryDeadLetters()
    worker.applied = {}
    worker.batches = worker.deliveries = 0
    worker._last_poll = 0.0
    return worker


def test_a_partition_revoked_while_its_batch_failed_is_neither_sought_nor_committed(monkeypatch):
    consumer = RevokingConsumer({A, B})
    tries = []

    def resolve(store, envelopes, *args):
        tries.append(len(envelopes))
        if len(tries) == 1:
            consumer.owned = {B}  # a rebalance while Redis was away: A now belongs to another worker
            raise Unavailable("redis did not answer")
        return None

    monkeypatch.setattr(fanout_worker, "resolve", resolve)
    monkeypatch.setattr(fanout_worker, "plan_fanout", lambda envelopes, facts: FanoutPlan())
    monkeypatch.setattr(fanout_worker, "apply_plan", lambda *args: 0)
    worker = worker_on(consumer)
    records = {A: [record(A, 10, 1), record(A, 11, 2)], B: [record(B, 40, 3)]}
    stop = threading.Event()
    for _ in range(3):  # today's loop polls the batch again after a failure; here it is handed back
        if consumer.committed:
            break
        worker.handle(records, stop)
    assert consumer.committed == {B: 41}  # A's records are redelivered to their new owner
