"""Issue 19, end to end: an event with an id out of range reaches the dead-letter topic with its reason,
and every other event of its batch is applied (`feed worker` on a whole stack)."""

from __future__ import annotations

import contextlib

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from feed.events import Envelope, InvalidEvent, PostCreated, decode, encode, partition_key
from feed.messaging.dead_letters import dead_letter_topic
from feed.telemetry.scrape import scrape, value
from tests.integration.stack import client_of, eventually, new_user, private_stack, start_feed_process
from tests.workers.in_process import dead_letter_reasons

pytestmark = pytest.mark.integration


def published_posts(settings, author: int) -> int:
    """How many valid PostCreated events of author are on the events topic (read without a group)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    try:
        consumer.assign([TopicPartition(settings.events_topic, p) for p in range(settings.events_partitions)])
        found, empty = 0, 0
        while empty < 2:  # until the records stop coming
            polled = consumer.poll(timeout_ms=250)
            empty = 0 if polled else empty + 1
            for record in (r for records in polled.values() for r in records):
                with contextlib.suppress(InvalidEvent):
                    event = decode(record.value).event
                    found += isinstance(event, PostCreated) and event.author_id == author and event.post_id < 2**63
        return found
    finally:
        consumer.close(autocommit=False)


def test_an_out_of_range_id_is_dead_lettered_with_its_reason_and_every_other_event_of_its_batch_applied(
    tmp_path_factory, tmp_path
):
    with private_stack(tmp_path_factory, "out-of-range", workers=1) as stack, client_of(stack) as client:
        s = stack.settings
        author, fan = new_user(), new_user()
        client.home(fan)  # an active timeline: fan-out reaches it
        client.follow(fan, author)
        # Hold the worker back, so the poison and the posts around it wait on the topic for one poll.
        [worker] = [p for p in stack.processes if p.name.startswith("fan-out")]
        assert worker.stop() == 0
        stack.processes.remove(worker)
        posts = [client.post(author, f"before {i}").post_id for i in range(3)]
        eventually(lambda: published_posts(s, author) == 3, timeout_s=30)
        poison = Envelope("poison", 0, PostCreated(2**63, author))  # the key puts it among the author's posts
        producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap)
        producer.send(s.events_topic, key=partition_key(poison.event), value=encode(poison))
        producer.flush()
        producer.close()
        posts += [client.post(author, f"after {i}").post_id for i in range(3)]
        eventually(lambda: published_posts(s, author) == 6, timeout_s=30)

        successor = start_feed_process(stack, "successor", ["worker"], tmp_path)
        try:
            eventually(lambda: [p.post_id for p in client.home(fan).posts] == posts[::-1], timeout_s=60)
            reasons = dead_letter_reasons(s.kafka_bootstrap, dead_letter_topic(s.events_topic))
            assert reasons == [f"post_created has an id out of range (post_id={2**63})"]
            dead = value(scrape(successor.metrics_url), "feed_fanout_dead_letters_total", reason="invalid_event")
            assert dead == 1
        finally:
            assert successor.stop() == 0, successor.tail()
