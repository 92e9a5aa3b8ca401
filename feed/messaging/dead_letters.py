"""The dead-letter topic: records the workers cannot apply, kept with the reason, never dropped.

A record goes here before its offset is committed, so a crash between the two
sends it again (at-least-once here too) rather than losing it. Operators read
the topic, fix the producer, and replay what they want.

A broker that does not take a dead letter is an outage, not a loss: the letter
stays queued and the next flush() sends it again; the worker retries flush()
and commits nothing until it returns.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from feed.errors import Unavailable

log = logging.getLogger(__name__)
REASON_HEADER = "dlq-reason"
SOURCE_HEADER = "dlq-source"  # topic/partition/offset the record came from


def dead_letter_topic(events_topic: str) -> str:
    return f"{events_topic}.dlq"


@dataclasses.dataclass
class _Letter:
    """One dead letter, kept until the broker acknowledged it."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    future: Any = None  # the send in flight; None when not sent (or to be sent again)


class DeadLetterQueue:
    """Sends bad records to the dead-letter topic; flush() waits until the broker has them all."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float, producer: KafkaProducer | None = None) -> None:
        self.topic = topic
        self._timeout_s = timeout_s
        self._producer = producer or KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks="all",
            max_block_ms=int(timeout_s * 1000),
            request_timeout_ms=int(timeout_s * 1000),
        )
        self._pending: list[_Letter] = []  # a batch's letters: flushed before its offsets are committed

    def send(self, record, reason: str) -> None:
        """Queue one consumer record with why it is dead; never raises (flush() says if it was taken)."""
        headers = [*(record.headers or []), (REASON_HEADER, reason.encode()[:1000])]
        headers.append((SOURCE_HEADER, f"{record.topic}/{record.partition}/{record.offset}".encode()))
        letter = _Letter(record.key, record.value, headers)
        away = any(queued.future is None for queued in self._pending)  # each try may block max_block_ms
        self._pending.append(letter)
        if not away:
            self._produce(letter)

    def flush(self) -> int:
        """Wait (at most the timeout) until the broker took every queued dead letter; return how many.

        Raise Unavailable if it did not take one: those stay queued, and the next flush sends them again.
        """
        deadline = time.monotonic() + self._timeout_s
        failed: list[_Letter] = []
        error: Exception | None = None
        away = False  # once one send found no broker, the others wait for the next flush
        for letter in self._pending:
            if letter.future is None and not away:
                away = not self._produce(letter)
            try:
                if letter.future is None:
                    raise Unavailable("no metadata for the dead-letter topic")
                letter.future.get(timeout=max(0.0, deadline - time.monotonic()))
            except (KafkaError, Unavailable) as exc:
                if letter.future is not None and letter.future.is_done:
                    letter.future = None  # refused: send it again; still in flight: wait for it again
                failed.append(letter)
                error = exc
        taken = len(self._pending) - len(failed)
        self._pending = failed
        if failed:
            raise Unavailable(f"dead-letter topic {self.topic} did not take {len(failed)} records") from error
        return taken

    def close(self) -> None:
        self._producer.close(timeout=self._timeout_s)

    def _produce(self, letter: _Letter) -> bool:
        """Hand letter to the producer; False if it would not take it (flush() tries again)."""
        try:
            letter.future = self._producer.send(self.topic, key=letter.key, value=letter.value, headers=letter.headers)
            return True
        except KafkaError as exc:  # no metadata within max_block_ms: the broker is away
            log.warning("dead-letter topic %s did not take a record: %s", self.topic, type(exc).__name__)
            letter.future = None
            return False
