"""In-memory doubles of the core's interfaces, for unit tests of logic around them."""

from __future__ import annotations

from feed.events import DomainEvent, Envelope
from feed.messaging.publisher import EventPublisher


class InMemoryEventPublisher(EventPublisher):
    """Records what it is asked to publish, in order; refuses while `failure` is set, as a broker
    that does not answer (KafkaEventPublisher raises Unavailable then)."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.failure: Exception | None = None
        self.closed = False

    def publish(self, envelope: Envelope, headers: list[tuple[str, bytes]] | None = None) -> None:
        if self.failure is not None:
            raise self.failure
        self.envelopes.append(envelope)

    def close(self) -> None:
        self.closed = True

    @property
    def events(self) -> list[DomainEvent]:
        """The events published so far, without their envelopes."""
        return [e.event for e in self.envelopes]
