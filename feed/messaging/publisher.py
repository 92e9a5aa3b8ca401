"""Publishing events to Kafka: the EventPublisher interface and its kafka-python backend.

publish() returns only once the broker has acknowledged the record (acks=all)
or raises Unavailable after the configured timeout, so the write service can
fail the call and let the client retry with its idempotency key. Each record
carries the current request id (feed.telemetry.request_context) in its `request-id`
header, so the worker that applies the event can log which call caused it.
"""

from __future__ import annotations

import abc
import logging

from kafka import KafkaProducer
from kafka.errors import KafkaError

from feed.errors import Unavailable
from feed.events import Envelope, encode, partition_key
from feed.telemetry.request_context import HEADER_KEY, current_request_id

log = logging.getLogger(__name__)


class EventPublisher(abc.ABC):
    """Where the write service sends events."""

    @abc.abstractmethod
    def publish(self, envelope: Envelope, headers: list[tuple[str, bytes]] | None = None) -> None:
        """Send one event and wait for the broker's acknowledgement."""

    @abc.abstractmethod
    def close(self) -> None:
        """Flush and release the connection."""


class KafkaEventPublisher(EventPublisher):
    """kafka-python producer: idempotent, acks=all, bounded waits."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float) -> None:
        self._topic = topic
        self._timeout_s = timeout_s
        timeout_ms = int(timeout_s * 1000)
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks="all",
            linger_ms=1,
            max_block_ms=timeout_ms,  # metadata waits are bounded too
            request_timeout_ms=timeout_ms,
            delivery_timeout_ms=max(timeout_ms + 1000, 2 * timeout_ms),
            retry_backoff_ms=100,
        )

    def publish(self, envelope: Envelope, headers: list[tuple[str, bytes]] | None = None) -> None:
        try:
            future = self._producer.send(
                self._topic,
                key=partition_key(envelope.event),
                value=encode(envelope),
                headers=with_request_id(headers),
            )
            future.get(timeout=self._timeout_s)
        except KafkaError as exc:
            log.warning("publish failed: %s", type(exc).__name__)
            raise Unavailable("the event broker did not acknowledge the event; retry the call") from exc

    def close(self) -> None:
        self._producer.close(timeout=self._timeout_s)


def with_request_id(headers: list[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
    """headers plus the current request id, unless there is none or the caller set one."""
    out = list(headers or [])
    request_id = current_request_id()
    if request_id and all(key != HEADER_KEY for key, _ in out):
        out.append((HEADER_KEY, request_id.encode()))
    return out
