"""InMemoryEventPublisher: the publisher double for unit tests of the outbox relay.

It keeps what a broker would: each record's partition key, its wire bytes and its
headers, and it passes the same contract suite as the Kafka publisher
(tests/messaging/test_publisher_contract.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from feed.messaging.publisher import EventPublisher
from feed.store.outbox import OutboxEntry
from tests.messaging.recorded import DecodedRecords, RecordedEvent


class InMemoryEventPublisher(DecodedRecords, EventPublisher):
    """Records every acknowledged entry in order; refuses with `failure` while it is set, as a broker
    that does not answer (KafkaEventPublisher raises Unavailable then)."""

    def __init__(self) -> None:
        self.records: list[RecordedEvent] = []
        self.failure: Exception | None = None
        self.closed = False

    def publish(self, entries: Sequence[OutboxEntry]) -> None:
        if self.failure is not None:
            raise self.failure
        self.records.extend(RecordedEvent(e.key, e.value, list(e.headers)) for e in entries)

    def close(self) -> None:
        self.closed = True
