"""InMemoryEventPublisher: the publisher double for unit tests of the write use cases.

It keeps what a broker would: each event's partition key, its wire bytes and its
headers (the request id included), and it passes the same contract suite as the
Kafka publisher (tests/messaging/test_publisher_contract.py).
"""

from __future__ import annotations

import dataclasses

from feed.events import DomainEvent, Envelope, decode, encode, partition_key
from feed.messaging.publisher import EventPublisher, with_request_id


@dataclasses.dataclass(frozen=True)
class PublishedRecord:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def envelope(self) -> Envelope:
        return decode(self.value)


class InMemoryEventPublisher(EventPublisher):
    """Records every acknowledged event in order; refuses with `failure` while it is set, as a broker
    that does not answer (KafkaEventPublisher raises Unavailable then)."""

    def __init__(self) -> None:
        self.records: list[PublishedRecord] = []
        self.failure: Exception | None = None
        self.closed = False

    def publish(self, envelope: Envelope, headers: list[tuple[str, bytes]] | None = None) -> None:
        if self.failure is not None:
            raise self.failure
        self.records.append(PublishedRecord(partition_key(envelope.event), encode(envelope), with_request_id(headers)))

    def close(self) -> None:
        self.closed = True

    @property
    def envelopes(self) -> list[Envelope]:
        """The envelopes published so far, decoded from the bytes a broker would have kept."""
        return [record.envelope for record in self.records]

    @property
    def events(self) -> list[DomainEvent]:
        """The events published so far, without their envelopes."""
        return [record.envelope.event for record in self.records]
