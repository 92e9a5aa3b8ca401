"""The event publisher's contract, written once and run against every publisher.

What the fan-out workers and every consumer rely on: an acknowledged event can be
read back exactly as sent, keyed by the user it is about (so one user's events keep
their order on one partition), carrying the request id of the call that caused it.
"""

from __future__ import annotations

from feed.events import Envelope, Followed, PostCreated, PostDeleted, new_envelope, partition_key
from feed.messaging.publisher import EventPublisher
from feed.telemetry.request_context import HEADER_KEY, request_id_scope


class PublisherContract:
    """Subclasses give a fresh publisher and the records it delivered, as (key, envelope, headers)."""

    def make_publisher(self) -> EventPublisher:
        raise NotImplementedError

    def delivered(self, publisher: EventPublisher, count: int) -> list[tuple[bytes, Envelope, dict[str, bytes]]]:
        """The first `count` records the publisher delivered, in the order they were acknowledged."""
        raise NotImplementedError

    def test_an_acknowledged_event_reads_back_exactly_as_sent(self):
        publisher = self.make_publisher()
        envelope = new_envelope(PostCreated(2**63 - 1, 7, org_id=3, group_id=9), 1_700_000_000_123, "e-1")
        publisher.publish(envelope)
        [(key, back, _)] = self.delivered(publisher, 1)
        assert back == envelope
        assert key == partition_key(envelope.event) == (7).to_bytes(8, "big")

    def test_one_users_events_come_back_in_the_order_they_were_published(self):
        publisher = self.make_publisher()
        events = [PostCreated(101, 5), Followed(5, 6), PostDeleted(101, 5), PostCreated(102, 5)]
        for n, event in enumerate(events):
            publisher.publish(new_envelope(event, 1_700_000_000_000 + n))
        assert [envelope.event for _, envelope, _ in self.delivered(publisher, len(events))] == events

    def test_the_request_id_of_the_call_travels_in_a_header(self):
        publisher = self.make_publisher()
        with request_id_scope("req-42"):
            publisher.publish(new_envelope(Followed(1, 2), 1))
        publisher.publish(new_envelope(Followed(3, 4), 2))  # outside a call: no request id
        first, second = self.delivered(publisher, 2)
        assert first[2].get(HEADER_KEY) == b"req-42"
        assert HEADER_KEY not in second[2]

    def test_a_request_id_header_set_by_the_caller_wins(self):
        publisher = self.make_publisher()
        with request_id_scope("from-context"):
            publisher.publish(new_envelope(Followed(1, 2), 1), headers=[(HEADER_KEY, b"from-caller")])
        [(_, _, headers)] = self.delivered(publisher, 1)
        assert headers[HEADER_KEY] == b"from-caller"
