"""A fan-out worker run in a thread of the test against a real broker, a real redis-server and SQLite.

In process so a test can hand it a store that fails on one post, or a dead-letter queue on a
broker of its own to freeze; everything else is the worker `feed worker` runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from feed.domain import Post
from feed.events import Envelope, PostCreated, encode, partition_key
from feed.messaging.dead_letters import REASON_HEADER, DeadLetterQueue, dead_letter_topic
from feed.messaging.topics import ensure_topic
from feed.redis.connection import RedisFunctions, connect
from feed.store import Store
from feed.timeline.rebuild import rebuild_home_timeline
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.integration.stack import isolated_settings
from workers.fanout_worker import FanoutWorker

STOP_GRACE_S = 10.0  # what `feed down` and Kubernetes give a worker after SIGTERM


@dataclasses.dataclass
class Running:
    worker: FanoutWorker
    thread: threading.Thread
    stop: threading.Event
    store: Store
    timelines: RedisTimelineStore
    errors: list[BaseException]  # what escaped the worker's run(), if anything

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.errors


def settings_for(tmp_path, bootstrap: str, redis_url: str):
    """One partition: every event of a test lands in one partition, in the order produced."""
    return isolated_settings(tmp_path, kafka_bootstrap=bootstrap, redis_url=redis_url, events_partitions=1)


@contextlib.contextmanager
def running_worker(settings, store: Store, dead_letters: DeadLetterQueue | None = None) -> Iterator[Running]:
    """Start a worker thread on settings and store; on exit stop it and require it to end within the grace."""
    ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    ensure_topic(settings.kafka_bootstrap, dead_letter_topic(settings.events_topic), 1)
    functions = RedisFunctions(connect(settings.redis_url))
    timelines = RedisTimelineStore(functions, settings.timeline_max)
    worker = FanoutWorker(settings, store, timelines, RedisReadTimeSources(functions, settings.timeline_max))
    if dead_letters is not None:
        worker.dead_letters.close()
        worker.dead_letters = dead_letters
    stop, errors = threading.Event(), []

    def run() -> None:
        try:
            worker.run(stop)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="fan-out worker", daemon=True)
    running = Running(worker, thread, stop, store, timelines, errors)
    thread.start()
    try:
        yield running
    finally:
        stop.set()
        thread.join(STOP_GRACE_S)
        worker.dead_letters.close()
    assert not thread.is_alive(), "the worker did not stop within its grace"


def active_author(store: Store, timelines: RedisTimelineStore, author: int) -> None:
    """An author whose home timeline is in Redis (so posts reach it), with no post yet."""
    assert rebuild_home_timeline(store, timelines, author)


def stored_post(store: Store, post_id: int, author: int) -> bytes:
    """A post in the store, and the PostCreated record value that fans it out."""
    store.posts.create_post(Post(post_id, author, f"post {post_id}", 1_800_000_000_000))
    return encode(Envelope(f"e{post_id}", 1_800_000_000_000, PostCreated(post_id, author)))


def produce(bootstrap: str, topic: str, values: list[bytes], key: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for value in values:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def author_key(author: int) -> bytes:
    return partition_key(PostCreated(1, author))


def timeline_ids(timelines: RedisTimelineStore, user: int) -> list[int]:
    return timelines.page(user, None, 100).ids


def committed(settings) -> int | None:
    """The group's committed offset of the events topic's partition 0."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.consumer_group, enable_auto_commit=False
    )
    try:
        return consumer.committed(TopicPartition(settings.events_topic, 0))
    finally:
        consumer.close(autocommit=False)


def dead_letter_reasons(bootstrap: str, topic: str) -> list[str]:
    """The reason header of every record on a dead-letter topic so far."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        reasons: list[str] = []
        empty = 0
        while empty < (1 if reasons else 4):  # until the records seen so far stop coming
            polled = consumer.poll(timeout_ms=250)
            empty = 0 if polled else empty + 1
            for records in polled.values():
                reasons += [dict(r.headers)[REASON_HEADER].decode() for r in records]
        return reasons
    finally:
        consumer.close(autocommit=False)
