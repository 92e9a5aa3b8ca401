"""How the write use cases describe the events of a change: as outbox entries stored with it.

A use case does not publish. It hands the store its change together with the
entries made here, and the store records both atomically (feed/store/outbox.py);
the outbox relay (feed/outbox/relay.py) publishes them afterwards. So a call
succeeds while the broker is down, and a crash after the store answered loses
no event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from feed.events import DomainEvent, encode, new_envelope, partition_key
from feed.messaging.publisher import with_request_id
from feed.store.outbox import OutboxEntry


class Bell(Protocol):
    def ring(self) -> None: ...


class _Silent:
    def ring(self) -> None:
        pass


class EventSink:
    """Turns events into outbox entries stamped by the clock (ms since the Unix epoch), carrying
    the current call's request id, so the worker that applies them can log which call caused them."""

    def __init__(self, clock: Callable[[], int], bell: Bell | None = None) -> None:
        self._clock = clock
        self._bell = bell or _Silent()

    def entry(self, event: DomainEvent, event_id: str | None = None) -> OutboxEntry:
        """The entry for one event; event_id None: a fresh one."""
        now = self._clock()
        envelope = new_envelope(event, now, event_id)
        return OutboxEntry(partition_key(event), encode(envelope), now, tuple(with_request_id(None)))

    def recorded(self) -> None:
        """Call after the store committed a change with its entries: wakes the relay now
        (feed/outbox/doorbell.py) instead of at its next poll. Never fails."""
        self._bell.ring()
