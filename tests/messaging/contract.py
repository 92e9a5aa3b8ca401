"""The event publisher's contract, written once and run against every publisher.

What the fan-out workers and every consumer rely on: an acknowledged event can be
read back exactly as sent, keyed by the user it is about (so one user's events keep
their order on one partition), carrying the request id of the call that caused it.
"""

from __future__ import annotations

from feed.actions.sink import EventSink
from feed.events import DomainEvent, Envelope, Followed, PostCreated, PostDeleted, partition_key
from feed.messaging.publisher import EventPublisher
from feed.store.outbox import OutboxEntry
from feed.telemetry.request_context import HEADER_KEY, request_id_scope


def entry(event: DomainEvent, now_ms: int, event_id: str | None = None) -> OutboxEntry:
    """The outbox entry the write path records for event (feed.actions.sink)."""
    return EventSink(lambda: now_ms).entry(event, event_id)


class PublisherContract:
    """Subclasses give a fresh publisher and the records it delivered, as (key, envelope, headers)."""

    def make_publisher(self) -> EventPublisher:
        raise NotImplementedError

    def delivered(self, publisher: EventPublisher, count: int) -> list[tuple[bytes, Envelope, dict[str, bytes]]]:
        """The first `count` records the publisher delivered, in the order they were acknowledged."""
        raise NotImplementedError

    def test_an_acknowledged_event_reads_back_exactly_as_sent(self):
        publisher = self.make_publisher()
        event = PostCreated(2**63 - 1, 7, org_id=3, group_id=9)
        publisher.publish([entry(event, 1_700_000_000_123, "e-1")])
        [(key, back, _)] = self.delivered(publisher, 1)
        assert back == Envelope("e-1", 1_700_000_000_123, event)
        assert key == partition_key(event) == (7).to_bytes(8, "big")

    def test_one_users_events_come_back_in_the_order_they_were_published(self):
        publisher = self.make_publisher()
        events = [PostCreated(101, 5), Followed(5, 6), PostDeleted(101, 5), PostCreated(102, 5)]
        publisher.publish([entry(events[0], 1_700_000_000_000)])
        publisher.publish([entry(event, 1_700_000_000_000 + n) for n, event in enumerate(events[1:])])
        assert [envelope.event for _, envelope, _ in self.delivered(publisher, len(events))] == events

    def test_the_request_id_of_the_recording_call_travels_in_a_header(self):
        publisher = self.make_publisher()
        with request_id_scope("req-42"):
            recorded = entry(Followed(1, 2), 1)
        with request_id_scope("the-relay-pass"):  # the publishing context does not matter
            publisher.publish([recorded, entry(Followed(3, 4), 2)])
        first, second = self.delivered(publisher, 2)
        assert first[2].get(HEADER_KEY) == b"req-42"
        assert second[2].get(HEADER_KEY) == b"the-relay-pass"
