"""The transactional outbox: events recorded with the change that caused them.

A write use case hands the store its change and the events of that change
together; the store makes both durable or neither (SQLite: one transaction;
Cassandra: one logged batch, see feed/store/cassandra/outbox.py). A relay
(feed/outbox/relay.py) then publishes what is recorded to Kafka, at least once
and in the order recorded per partition key, and acknowledges it. So a call
succeeds while the broker is down, and a crash between "stored" and
"published" loses nothing: the record is still there for the next relay pass.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Hashable, Sequence

MAX_PENDING_BATCH = 5_000  # the most records one pending() call may be asked for


@dataclasses.dataclass(frozen=True)
class OutboxEntry:
    """One event as it will go on the wire: partition key, encoded envelope, record headers."""

    key: bytes
    value: bytes
    created_ms: int  # when the write service recorded it: what relay lag is measured from
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclasses.dataclass(frozen=True)
class OutboxRecord:
    """A stored entry and the backend's own handle on it (what acknowledge() needs)."""

    position: Hashable
    entry: OutboxEntry


@dataclasses.dataclass(frozen=True)
class OutboxBacklog:
    """How far behind the relay is: records not yet acknowledged, and the oldest one's time."""

    records: int
    oldest_ms: int | None


class OutboxStore(abc.ABC):
    """The recorded events not yet published.

    Entries are written only by the store's mutating methods (their `outbox`
    argument), never alone, so no event exists without its change.
    """

    @abc.abstractmethod
    def pending(self, limit: int) -> list[OutboxRecord]:
        """Up to limit unacknowledged records, oldest first; records of one key always in the
        order they were recorded. The same records come back until acknowledged."""

    @abc.abstractmethod
    def acknowledge(self, records: Sequence[OutboxRecord]) -> None:
        """Forget records the broker has taken; acknowledging one twice is harmless."""

    @abc.abstractmethod
    def backlog(self) -> OutboxBacklog:
        """What is recorded and not yet acknowledged (bounded in cost: the relay's lag metric)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
