"""RecordedEvents: what the write path recorded in a store's outbox, read as a broker would keep it.

The use-case and servicer tests check the events of each call here: the relay
publishes exactly these records, in this order (tests/outbox checks that part).
"""

from __future__ import annotations

import dataclasses

from feed.events import DomainEvent, Envelope, decode
from feed.store.outbox import OutboxStore


@dataclasses.dataclass(frozen=True)
class RecordedEvent:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def envelope(self) -> Envelope:
        return decode(self.value)


class DecodedRecords:
    """envelopes and events read from a `records` list of RecordedEvent, the bytes a broker would keep."""

    records: list[RecordedEvent]

    @property
    def envelopes(self) -> list[Envelope]:
        return [record.envelope for record in self.records]

    @property
    def events(self) -> list[DomainEvent]:
        return [record.envelope.event for record in self.records]


class RecordedEvents(DecodedRecords):
    """The pending records of one outbox, oldest first."""

    def __init__(self, outbox: OutboxStore) -> None:
        self._outbox = outbox

    @property
    def records(self) -> list[RecordedEvent]:  # type: ignore[override]
        return [RecordedEvent(r.entry.key, r.entry.value, list(r.entry.headers)) for r in self._outbox.pending(5_000)]

    def clear(self) -> None:
        """Acknowledge everything recorded so far, as a relay that published it would."""
        self._outbox.acknowledge(self._outbox.pending(5_000))
