"""Worker faults: poison events go to the dead-letter topic; a worker killed mid-batch loses
no delivery and shows no duplicate once another takes over; Redis restarted empty comes back
complete through rebuild.

The broker faults run on both brokers (test ids `tansu` and `kafka`): Tansu, the fast local
default, and the Apache Kafka production runs."""

from __future__ import annotations

import signal
import sys
import threading

import pytest
from kafka import KafkaConsumer, KafkaProducer

from feed.devstack.local import start_redis
from feed.devstack.procs import ManagedProcess, free_port
from feed.events import Envelope, PostCreated, encode
from feed.messaging.dead_letters import REASON_HEADER, dead_letter_topic
from feed.redis.connection import connect
from feed.redis.keys import home_timeline_key
from feed.telemetry.scrape import scrape, value
from tests.integration.stack import client_of, drained, eventually, new_user, on_kafka, private_stack

pytestmark = [pytest.mark.integration, pytest.mark.fault]


@pytest.fixture(scope="module", params=["tansu", "kafka"])
def fault_stack(request, tmp_path_factory):
    """A stack of the module's own (the kill test replaces its worker), on the broker the id names."""
    overrides = on_kafka(request.getfixturevalue("apache_kafka"), "faults") if request.param == "kafka" else {}
    with private_stack(tmp_path_factory, f"faults-{request.param}", workers=1, **overrides) as running:
        yield running


def workers(stack) -> list[ManagedProcess]:
    return [p for p in stack.processes if p.name.startswith("fan-out") and p.alive()]


def dead_letters(stack) -> float:
    return sum(
        value(scrape(p.metrics_url), "feed_fanout_dead_letters_total", reason="invalid_event") for p in workers(stack)
    )


def test_poison_events_go_to_the_dead_letter_topic_and_the_worker_goes_on(fault_stack):
    s = fault_stack.settings
    before = dead_letters(fault_stack)
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap)
    producer.send(s.events_topic, key=b"k", value=b"\xff\x00 not a protobuf")
    producer.send(s.events_topic, key=b"k", value=encode(Envelope("x", 0, PostCreated(0, 0))))
    producer.flush()
    with client_of(fault_stack) as client:
        author = new_user()
        client.home(author)
        post = client.post(author, "after the poison").post_id
        eventually(lambda: [p.post_id for p in client.home(author).posts] == [post])
    eventually(lambda: dead_letters(fault_stack) - before == 2)

    consumer = KafkaConsumer(
        dead_letter_topic(s.events_topic), bootstrap_servers=s.kafka_bootstrap, auto_offset_reset="earliest"
    )
    reasons: list[str] = []
    for _ in range(40):
        for records in consumer.poll(timeout_ms=250).values():
            reasons += [dict(r.headers)[REASON_HEADER].decode() for r in records]
        if len(reasons) >= 2:
            break
    consumer.close()
    assert any("undecodable" in r for r in reasons) and any("zero id" in r for r in reasons)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(fault_stack, tmp_path):
    authors = [new_user() for _ in range(4)]
    fans = [new_user() for _ in range(150)]
    with client_of(fault_stack) as client:
        for fan in fans:
            client.home(fan)
            for author in authors:
                client.follow(fan, author)
        eventually(lambda: drained(fault_stack), timeout_s=60)
        posted: list[tuple[int, int]] = []
        stop = threading.Event()

        def keep_posting() -> None:
            for i in range(400):
                if stop.is_set():
                    return
                author = authors[i % len(authors)]
                posted.append((author, client.post(author, f"p{i}").post_id))

        writer = threading.Thread(target=keep_posting)
        writer.start()
        eventually(lambda: len(posted) >= 100)
        for worker in workers(fault_stack):
            worker.signal(signal.SIGKILL)  # no chance to commit what it applied
            worker.proc.wait()
            fault_stack.processes.remove(worker)  # the successor takes its place
        successor = ManagedProcess(
            "successor",
            [sys.executable, "-m", "feed.cli", "worker"],
            tmp_path / "successor.log",
            {**fault_stack.settings.env(), "FEED_METRICS_ADDR": f"127.0.0.1:{free_port()}"},
        )
        try:
            writer.join()
            stop.set()
            eventually(lambda: drained(fault_stack), timeout_s=120)
        finally:
            assert successor.stop() == 0, successor.tail()
    expected = [str(p).encode() for p in sorted((p for _, p in posted), reverse=True)]
    redis = connect(fault_stack.settings.redis_url)
    for fan in fans:
        stored = [x for x in redis.lrange(home_timeline_key(fan), 0, -1) if x not in (b"0", b"b")]
        assert stored == expected[: len(stored)] and len(stored) == min(len(expected), 800), fan


def test_redis_restarted_empty_comes_back_complete_through_rebuild(tmp_path_factory):
    with private_stack(tmp_path_factory, "redis-restart", workers=1) as stack, client_of(stack) as client:
        author, fans = new_user(), [new_user() for _ in range(5)]
        for fan in fans:
            client.follow(fan, author)
        posts = [client.post(author, f"p{i}").post_id for i in range(5)]
        eventually(lambda: all([p.post_id for p in client.home(fan).posts] == posts[::-1] for fan in fans))

        old = next(p for p in stack.processes if p.name == "redis")
        port = int(stack.settings.redis_url.rsplit(":", 1)[1].split("/")[0])
        assert old.stop() == 0
        new, _ = start_redis(tmp_path_factory.mktemp("redis-new"), port=port)  # same address, empty
        stack.processes[stack.processes.index(old)] = new
        assert connect(stack.settings.redis_url).dbsize() == 0

        eventually(lambda: all([p.post_id for p in client.home(fan).posts] == posts[::-1] for fan in fans))
        late = client.post(author, "after the restart").post_id  # fan-out works against the new node
        eventually(lambda: all(client.home(fan).posts[0].post_id == late for fan in fans))
