"""A long batch keeps the worker in its group: a poll with every partition paused, no records taken."""

from __future__ import annotations

import time

from kafka import TopicPartition

from workers import fanout_worker
from workers.fanout_worker import FanoutWorker

A, B, C = (TopicPartition("feed.events", p) for p in range(3))


class Record:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class FakeConsumer:
    """Records what the worker asks of its consumer; a rebalance inside poll() hands over C."""

    def __init__(self, owned: set[TopicPartition], after_poll: set[TopicPartition], returned: dict) -> None:
        self.owned = owned
        self.after_poll = after_poll
        self.returned = returned
        self.calls: list[tuple] = []

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def pause(self, *partitions) -> None:
        self.calls.append(("pause", set(partitions)))

    def resume(self, *partitions) -> None:
        self.calls.append(("resume", set(partitions)))

    def poll(self, timeout_ms: int = 0) -> dict:
        self.calls.append(("poll", timeout_ms))
        self.owned = self.after_poll
        return self.returned

    def seek(self, partition, offset) -> None:
        self.calls.append(("seek", partition, offset))


def worker_with(consumer: FakeConsumer, last_poll: float) -> FanoutWorker:
    worker = FanoutWorker.__new__(FanoutWorker)  # the loop's state only: no broker, store or Redis
    worker.consumer = consumer
    worker._last_poll = last_poll
    return worker


def test_a_batch_younger_than_the_keepalive_does_not_poll():
    consumer = FakeConsumer({A, B}, {A, B}, {})
    worker_with(consumer, time.monotonic()).keep_alive()
    assert consumer.calls == []


def test_an_old_batch_polls_with_every_partition_paused_then_resumes_them():
    consumer = FakeConsumer({A, B}, {A, B}, {})
    worker = worker_with(consumer, time.monotonic() - fanout_worker.KEEPALIVE_S - 1)
    worker.keep_alive()
    assert consumer.calls == [("pause", {A, B}), ("poll", 0), ("resume", {A, B})]
    assert time.monotonic() - worker._last_poll < fanout_worker.KEEPALIVE_S


def test_records_of_a_partition_gained_in_a_rebalance_are_sought_back_not_lost():
    consumer = FakeConsumer({A, B}, {B, C}, {C: [Record(7), Record(8)]})
    worker_with(consumer, 0.0).keep_alive()
    assert ("seek", C, 7) in consumer.calls
    assert consumer.calls[-1] == ("resume", {B})  # A was revoked; C was never paused
