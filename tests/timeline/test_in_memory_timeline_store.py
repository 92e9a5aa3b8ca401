"""The timeline store contract against InMemoryTimelineStore, the double for unit tests of fan-out and reads."""

from __future__ import annotations

from tests.timeline.contract import TimelineStoreContract
from tests.timeline.in_memory import InMemoryTimelineStore


class TestInMemoryTimelineStore(TimelineStoreContract):
    def make_store(self, max_entries: int) -> InMemoryTimelineStore:
        return InMemoryTimelineStore(max_entries)
