"""Where the write use cases hand on the event of a change they have just stored.

One place for it, so the way events leave the write path (today: published to
the broker before the call answers) can change without touching the use cases.
"""

from __future__ import annotations

from collections.abc import Callable

from feed.events import DomainEvent, new_envelope
from feed.messaging.publisher import EventPublisher


class EventSink:
    """Publishes each event in an envelope stamped by the clock (ms since the Unix epoch)."""

    def __init__(self, publisher: EventPublisher, clock: Callable[[], int]) -> None:
        self._publisher = publisher
        self._clock = clock

    def emit(self, event: DomainEvent, event_id: str | None = None) -> None:
        """Publish event and wait for the broker; event_id None: a fresh one."""
        self._publisher.publish(new_envelope(event, self._clock(), event_id))
