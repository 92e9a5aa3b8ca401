"""The dead-letter topic: records the workers cannot apply, kept with the reason, never dropped.

A record goes here before its offset is committed, so a crash between the two
sends it again (at-least-once here too) rather than losing it. Operators read
the topic, fix the producer, and replay what they want.
"""

from __future__ import annotations

import logging

from kafka import KafkaProducer
from kafka.errors import KafkaError

from feed.errors import Unavailable

log = logging.getLogger(__name__)
REASON_HEADER = "dlq-reason"
SOURCE_HEADER = "dlq-source"  # topic/partition/offset the record came from
MAX_PENDING = 10_000  # a batch holds at most this many dead letters in flight


def dead_letter_topic(events_topic: str) -> str:
    return f"{events_topic}.dlq"


class DeadLetterQueue:
    """Sends bad records to the dead-letter topic; flush() waits until the broker has them all."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float) -> None:
        self.topic = topic
        self._timeout_s = timeout_s
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks="all",
            max_block_ms=int(timeout_s * 1000),
            request_timeout_ms=int(timeout_s * 1000),
        )
        self._pending: list = []

    def send(self, record, reason: str) -> None:
        """Queue one consumer record with why it is dead."""
        if len(self._pending) >= MAX_PENDING:
            self.flush()
        headers = [*(record.headers or []), (REASON_HEADER, reason.encode()[:1000])]
        headers.append((SOURCE_HEADER, f"{record.topic}/{record.partition}/{record.offset}".encode()))
        self._pending.append(self._producer.send(self.topic, key=record.key, value=record.value, headers=headers))

    def flush(self) -> int:
        """Wait for every queued dead letter; raise Unavailable if the broker did not take one."""
        pending, self._pending = self._pending, []
        try:
            for future in pending:
                future.get(timeout=self._timeout_s)
        except KafkaError as exc:
            raise Unavailable(f"dead-letter topic {self.topic} did not take a record") from exc
        return len(pending)

    def close(self) -> None:
        self._producer.close(timeout=self._timeout_s)
