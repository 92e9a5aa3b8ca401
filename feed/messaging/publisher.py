"""Publishing recorded events to Kafka: the EventPublisher interface and its kafka-python backend.

The outbox relay is the only publisher: it hands over the entries the store
recorded (already encoded, keyed and carrying the request id of the call that
caused them) in the order recorded, and publish() returns only once the broker
has acknowledged every one (acks=all), or raises Unavailable after the
configured timeout, so the relay keeps them and tries again.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError

from feed.errors import Unavailable
from feed.messaging.publish_spans import PublishSpans
from feed.store.outbox import OutboxEntry
from feed.telemetry import tracing
from feed.telemetry.request_context import HEADER_KEY, current_request_id
from feed.telemetry.trace_context import with_trace_context

log = logging.getLogger(__name__)


class EventPublisher(abc.ABC):
    """Where the outbox relay sends events."""

    @abc.abstractmethod
    def publish(self, entries: Sequence[OutboxEntry]) -> None:
        """Send entries in order and wait until the broker has acknowledged all of them."""

    @abc.abstractmethod
    def close(self) -> None:
        """Flush and release the connection."""


class KafkaEventPublisher(EventPublisher):
    """kafka-python producer: acks=all, bounded waits, one request in flight per broker so a
    retried request cannot overtake the next one (order per key holds through retries)."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer: KafkaProducer | None = None

    def _connected(self) -> KafkaProducer:
        if self._producer is None:
            timeout_ms = int(self._timeout_s * 1000)
            self._producer = KafkaProducer(
                bootstrap_servers=self._bootstrap.split(","),
                acks="all",
                linger_ms=1,
                max_in_flight_requests_per_connection=1,
                max_block_ms=timeout_ms,  # metadata waits are bounded too
                bootstrap_timeout_ms=timeout_ms,  # and so is the first contact, made in the constructor
                request_timeout_ms=timeout_ms,
                delivery_timeout_ms=max(timeout_ms + 1000, 2 * timeout_ms),
                retry_backoff_ms=100,
            )
        return self._producer

    def publish(self, entries: Sequence[OutboxEntry]) -> None:
        spans = PublishSpans(entries, self._topic) if tracing.enabled() else None
        headers = [list(e.headers) for e in entries] if spans is None else spans.headers
        try:
            producer = self._connected()
            futures = [
                producer.send(self._topic, key=e.key, value=e.value, headers=h)
                for e, h in zip(entries, headers, strict=True)
            ]
            producer.flush(timeout=self._timeout_s)
            for future in futures:
                future.get(timeout=self._timeout_s)
            if spans is not None:
                spans.end()
        except KafkaError as exc:
            if spans is not None:
                spans.end(exc)
            log.warning("publish failed: %s", type(exc).__name__)
            # A producer that timed out can keep failing after the broker is back (requests stuck
            # behind the expired ones): start afresh. Whatever it still held is sent again.
            self._discard()
            raise Unavailable("the event broker did not acknowledge the events") from exc

    def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(KafkaError):
                producer.close(timeout=0)

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=self._timeout_s)
            except KafkaError as exc:  # records not acknowledged stay in the outbox
                log.warning("producer close: %s", type(exc).__name__)


def with_request_id(headers: list[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
    """headers plus the current request id, unless there is none or the caller set one, and,
    when tracing is on, the current trace context (`traceparent`): the outbox entry carries both
    from the write call to the relay, so the event's trace continues through Kafka."""
    out = list(headers or [])
    request_id = current_request_id()
    if request_id and all(key != HEADER_KEY for key, _ in out):
        out.append((HEADER_KEY, request_id.encode()))
    if tracing.enabled():
        out = with_trace_context(out)
    return out
