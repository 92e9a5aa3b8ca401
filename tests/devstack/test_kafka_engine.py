"""The Apache Kafka launcher: a broker of the pinned version that answers, creates topics as
configured, and leaves no process behind once stopped."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from feed.devstack.kafka import KAFKA_VERSION, STOP_GRACE_S, java_binary, start_kafka
from feed.errors import FeedError
from feed.messaging.dead_letters import dead_letter_topic
from feed.messaging.topics import ensure_topic

pytestmark = pytest.mark.integration
SIGTERM_EXIT = 143  # the JVM's exit code after a SIGTERM it handled (Kafka's shutdown hook ran)


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line mentions text (this machine's /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:  # exited while we looked
                continue
    return pids


def test_a_started_broker_answers_metadata_and_stopping_it_leaves_no_process(tmp_path):
    proc, bootstrap = start_kafka(tmp_path)
    try:
        admin = KafkaAdminClient(bootstrap_servers=[bootstrap])
        brokers = admin.describe_cluster()["brokers"]
        admin.close()
        host, _, port = bootstrap.rpartition(":")
        assert [(b["host"], b["port"]) for b in brokers] == [(host, int(port))]
        assert processes_mentioning(str(tmp_path)) == [proc.pid]  # the broker; the format tool has exited
        assert any(f"kafka_2.13-{KAFKA_VERSION}.jar" in arg for arg in proc.args)
    finally:
        code = proc.stop(STOP_GRACE_S)
    assert code in (0, SIGTERM_EXIT), proc.tail()
    assert processes_mentioning(str(tmp_path)) == []
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()
    assert "Kafka Server started" in proc.log_path.read_text()  # the SLF4J binding is on the classpath


def test_a_java_home_without_java_is_a_clear_error_not_another_java(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(FeedError, match="make deps"):
        java_binary()


def test_ensure_topic_creates_the_configured_partitions_once_and_no_topic_appears_by_itself(apache_kafka):
    ensure_topic(apache_kafka, "feed.events.ensure", 3)
    ensure_topic(apache_kafka, "feed.events.ensure", 3)  # idempotent: a second process finds it
    consumer = KafkaConsumer(bootstrap_servers=apache_kafka)
    try:
        assert consumer.partitions_for_topic("feed.events.ensure") == {0, 1, 2}
        assert "feed.events.never-created" not in consumer.topics()
        consumer.subscribe(["feed.events.never-created"])
        consumer.poll(timeout_ms=200)  # asks for its metadata, which would auto-create it if enabled
        assert "feed.events.never-created" not in consumer.topics()
    finally:
        consumer.close()


def test_a_stack_on_kafka_has_its_events_topic_partitions_and_its_dead_letter_topic(kafka_stack):
    s = kafka_stack.settings
    consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap)
    try:
        assert consumer.partitions_for_topic(s.events_topic) == set(range(s.events_partitions))
        # Created by the workers (auto-creation is off), before any record is dead.
        assert consumer.partitions_for_topic(dead_letter_topic(s.events_topic)) == {0}
    finally:
        consumer.close()
    assert os.environ.get("FEED_KAFKA_BOOTSTRAP", "") != s.kafka_bootstrap  # a broker of the test session's own
