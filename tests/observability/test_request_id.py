"""A request id travels from the gRPC call to the Kafka record header and the worker's log line."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition

from feed.events import PostCreated, decode
from feed.v1 import post_service_pb2
from tests.integration.stack import eventually, new_user

pytestmark = pytest.mark.integration


@pytest.fixture
def topic_tail(stack):
    """A consumer outside the group, positioned at the current end of every partition."""
    settings = stack.settings
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), enable_auto_commit=False)
    partitions = [TopicPartition(settings.events_topic, p) for p in range(settings.events_partitions)]
    consumer.assign(partitions)
    consumer.seek_to_end()
    for tp in partitions:
        consumer.position(tp)  # resolve the end now, before the call publishes
    yield consumer
    consumer.close()


def record_of_post(consumer: KafkaConsumer, post_id: int, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            for record in batch:
                event = decode(record.value).event
                if isinstance(event, PostCreated) and event.post_id == post_id:
                    return record
    raise AssertionError(f"no PostCreated record for post {post_id} within {timeout_s}s")


def create_post(client, author: int, metadata=()):
    request = post_service_pb2.CreatePostRequest(author_id=author, text="request id test")
    post, call = client.posts.CreatePost.with_call(request, metadata=metadata, timeout=10)
    trailing = dict(call.trailing_metadata())
    return post, trailing["x-request-id"]


def log_lines_with(stack, request_id: str, process_prefix: str = "fan-out") -> list[dict]:
    lines = []
    for proc in stack.processes:
        if proc.name.startswith(process_prefix):
            text = proc.log_path.read_text(errors="replace")
            lines += [json.loads(line) for line in text.splitlines() if request_id in line]
    return lines


def test_the_callers_request_id_reaches_the_record_header_and_the_worker_log(stack, client, topic_tail):
    request_id = f"obs-{uuid.uuid4().hex}"
    post, echoed = create_post(client, new_user(), metadata=(("x-request-id", request_id),))
    assert echoed == request_id  # returned in the trailing metadata

    record = record_of_post(topic_tail, post.post_id)
    assert ("request-id", request_id.encode()) in record.headers

    eventually(lambda: bool(log_lines_with(stack, request_id)), timeout_s=15, interval_s=0.1)
    applied = log_lines_with(stack, request_id)
    assert any(line["msg"] == "batch applied" and request_id in line["request_ids"] for line in applied)
    written = log_lines_with(stack, request_id, "write service")
    assert any(line["msg"] == "post created" and line["request_id"] == request_id for line in written)


def test_a_call_without_a_request_id_gets_a_new_one_that_travels_the_same_way(stack, client, topic_tail):
    post, generated = create_post(client, new_user())
    assert len(generated) == 32
    record = record_of_post(topic_tail, post.post_id)
    assert ("request-id", generated.encode()) in record.headers
    eventually(lambda: bool(log_lines_with(stack, generated)), timeout_s=15, interval_s=0.1)


def test_an_unusable_request_id_is_replaced_by_a_new_one(client):
    forged = 'x" injected\nline'
    _post, used = create_post(client, new_user(), metadata=(("x-request-id", forged.replace("\n", " ")),))
    assert used != forged.replace("\n", " ") and len(used) == 32
