"""The publisher contract on the Kafka publisher (against Tansu and a real Apache Kafka) and on the in-memory double."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer

from feed.errors import Unavailable
from feed.events import Envelope, Followed, decode
from feed.messaging.publisher import EventPublisher, KafkaEventPublisher
from feed.messaging.topics import ensure_topic
from tests.messaging.contract import PublisherContract, entry
from tests.messaging.in_memory import InMemoryEventPublisher

CONSUME_TIMEOUT_S = 20.0


class TestInMemoryPublisher(PublisherContract):
    def make_publisher(self) -> EventPublisher:
        return InMemoryEventPublisher()

    def delivered(self, publisher, count):
        return [(r.key, r.envelope, dict(r.headers)) for r in publisher.records[:count]]

    def test_a_failing_double_refuses_like_a_broker_that_is_down(self):
        publisher = InMemoryEventPublisher()
        publisher.failure = Unavailable("the event broker did not acknowledge the event; retry the call")
        with pytest.raises(Unavailable):
            publisher.publish([entry(Followed(1, 2), 1)])
        assert publisher.records == []


@pytest.mark.integration
class TestKafkaPublisher(PublisherContract):
    """On Tansu, the fast default broker of the tests."""

    @pytest.fixture
    def bootstrap(self, kafka_bootstrap):
        return kafka_bootstrap

    @pytest.fixture(autouse=True)
    def _broker(self, bootstrap):
        self.bootstrap = bootstrap
        self.topics: dict[int, str] = {}  # id(publisher) -> its topic
        self.publishers: list[KafkaEventPublisher] = []
        yield
        for publisher in self.publishers:
            publisher.close()

    def make_publisher(self) -> EventPublisher:
        topic = f"contract-{uuid.uuid4().hex[:12]}"
        ensure_topic(self.bootstrap, topic, 1)  # one partition: one order to read back
        publisher = KafkaEventPublisher(self.bootstrap, topic, timeout_s=10.0)
        self.topics[id(publisher)] = topic
        self.publishers.append(publisher)
        return publisher

    def delivered(self, publisher, count) -> list[tuple[bytes, Envelope, dict[str, bytes]]]:
        consumer = KafkaConsumer(
            self.topics[id(publisher)],
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=int(CONSUME_TIMEOUT_S * 1000),
        )
        try:
            out = []
            for record in consumer:
                out.append((record.key, decode(record.value), dict(record.headers)))
                if len(out) == count:
                    break
            return out
        finally:
            consumer.close()


class TestKafkaPublisherOnApacheKafka(TestKafkaPublisher):
    """On the Apache Kafka broker production runs."""

    @pytest.fixture
    def bootstrap(self, apache_kafka):
        return apache_kafka
