"""The dead-letter topic: records the workers cannot apply, kept with the reason, never dropped.

A record goes here before its offset is committed, so a crash between the two
sends it again (at-least-once here too) rather than losing it. Operators read
the topic, fix the producer, and replay what they want.

A broker that does not take a dead letter is an outage, not a loss: the letter
stays queued and the next flush() sends it again; the worker retries flush()
and commits nothing until it returns. The sending is the outbox relay's
publisher (feed/messaging/publisher.py), so a producer stuck behind a frozen
broker is replaced here as it is there.
"""

from __future__ import annotations

import time

from feed.messaging.publisher import KafkaEventPublisher
from feed.store.outbox import OutboxEntry

REASON_HEADER = "dlq-reason"
SOURCE_HEADER = "dlq-source"  # topic/partition/offset the record came from


def dead_letter_topic(events_topic: str) -> str:
    return f"{events_topic}.dlq"


class DeadLetterQueue:
    """Queues bad records for the dead-letter topic; flush() waits until the broker has them all.

    The queue holds at most one polled batch's letters: the worker flushes before it
    commits and polls nothing more until the flush succeeded."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float) -> None:
        self.topic = topic
        self._publisher = KafkaEventPublisher(bootstrap, topic, timeout_s)
        self._pending: list[OutboxEntry] = []

    def send(self, record, reason: str) -> None:
        """Queue one consumer record with why it is dead; flush() sends it."""
        headers = (
            *(record.headers or []),
            (REASON_HEADER, reason.encode()[:1000]),
            (SOURCE_HEADER, f"{record.topic}/{record.partition}/{record.offset}".encode()),
        )
        self._pending.append(OutboxEntry(record.key, record.value, int(time.time() * 1000), headers))

    def flush(self) -> int:
        """Send every queued letter and wait for the broker's acknowledgement; return how many.

        Raises Unavailable if the broker did not take them all within the timeout: they
        stay queued, and the next flush sends them again (possibly twice: at least once)."""
        if self._pending:
            self._publisher.publish(self._pending)
        taken, self._pending = len(self._pending), []
        return taken

    def close(self) -> None:
        self._publisher.close()
