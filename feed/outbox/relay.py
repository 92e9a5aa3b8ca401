"""The outbox relay: moves recorded events from the store to Kafka, at least once, in order.

One pass: read the oldest pending records, publish them in that order, wait for
the broker's acknowledgement, then acknowledge them in the store. A crash
anywhere in a pass leaves its records pending, so the next relay publishes them
again (a duplicate, never a loss; workers apply events idempotently). A pass
that fails (broker or store not answering) is retried with a growing pause, and
a pass never skips a record, so events of one key leave in the order recorded.

Run one relay per store (`feed relay`; `feed up` starts it). Two relays would
not lose anything either, but could interleave their passes and so reorder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from redis.exceptions import RedisError

from feed.errors import Unavailable
from feed.messaging.publisher import EventPublisher
from feed.store.outbox import OutboxStore
from feed.telemetry import metrics

log = logging.getLogger("feed.relay")
MIN_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0
BACKLOG_EVERY_S = 1.0  # how often the backlog gauges are refreshed (a bounded count query)


class StopSignal(Protocol):
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class OutboxRelay:
    """Publishes one store's outbox to one publisher until stopped."""

    def __init__(
        self,
        outbox: OutboxStore,
        publisher: EventPublisher,
        batch: int = 500,
        idle_s: float = 0.005,
        clock: Callable[[], float] = time.time,
        max_idle_s: float = 0.05,
        wake: threading.Event | None = None,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._batch = batch
        self._idle_s = idle_s
        self._max_idle_s = max(idle_s, max_idle_s)
        # Set by the doorbell (feed/outbox/doorbell.py) when the write path commits records.
        self._wake = wake
        self._clock = clock
        self._backlog_at = 0.0
        self.published = 0

    def run(self, stop: StopSignal) -> None:
        """Pass after pass until stop is set; the pass in hand is finished first."""
        backoff = MIN_BACKOFF_S
        idle = self._idle_s
        log.info("relay started", extra={"batch": self._batch})
        while not stop.is_set():
            try:
                moved = self.pass_once()
            except Exception as exc:  # every failure is retried; the records stay pending
                metrics.OUTBOX_FAILURES.inc()
                log.warning("relay pass failed, retrying in %.1f s: %s", backoff, _describe(exc))
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = MIN_BACKOFF_S
            metrics.OUTBOX_LAST_PASS.set(self._clock())  # a relay stuck anywhere stops moving this
            # Caught up: idle a moment instead of spinning, longer after each empty pass (an idle
            # stack costs little), back to the shortest wait as soon as records come in.
            idle = self._idle_s if moved else min(idle * 2, self._max_idle_s)
            if moved < self._batch:
                self._idle(stop, idle)
        log.info("relay stopped", extra={"published": self.published})

    def _idle(self, stop: StopSignal, seconds: float) -> None:
        """Wait for the doorbell, stop or seconds, whichever comes first."""
        if self._wake is None:
            stop.wait(seconds)
            return
        # The wake flag is a thread's Event (the listener sets it), never the signal-driven stop:
        # stop is looked at before each pass, so SIGTERM waits at most one idle period.
        self._wake.wait(seconds)
        self._wake.clear()

    def pass_once(self) -> int:
        """Publish and acknowledge the oldest pending records; return how many."""
        self._report_backlog()
        records = self._outbox.pending(self._batch)
        if not records:
            return 0
        self._publisher.publish([r.entry for r in records])
        # Published, not yet acknowledged: a crash here publishes them again (at least once).
        self._outbox.acknowledge(records)
        self.published += len(records)
        metrics.OUTBOX_PUBLISHED.inc(len(records))
        return len(records)

    def _report_backlog(self) -> None:
        now = self._clock()
        if now - self._backlog_at < BACKLOG_EVERY_S:
            return
        self._backlog_at = now
        backlog = self._outbox.backlog()
        metrics.OUTBOX_BACKLOG.set(backlog.records)
        metrics.OUTBOX_LAG.set(0.0 if backlog.oldest_ms is None else max(0.0, now - backlog.oldest_ms / 1000))


def _describe(exc: Exception) -> str:
    """What failed, without the payload (records may carry user text)."""
    if isinstance(exc, Unavailable | RedisError):
        return str(exc)
    return type(exc).__name__
