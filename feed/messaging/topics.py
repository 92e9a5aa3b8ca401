"""Create the events topic when it is missing (idempotent; safe from every process)."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


def ensure_topic(bootstrap: str, topic: str, partitions: int, timeout_s: float = 30.0) -> None:
    """Make sure topic exists, retrying while the broker comes up, for at most timeout_s."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=5000)
        except KafkaError as exc:
            last = exc
            time.sleep(0.5)
            continue
        try:
            if topic in admin.list_topics():
                return
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
            log.info("created topic %s with %d partitions", topic, partitions)
            return
        except TopicAlreadyExistsError:
            return
        except KafkaError as exc:
            last = exc
            time.sleep(0.5)
        finally:
            admin.close()
    raise RuntimeError(f"could not make sure topic {topic!r} exists at {bootstrap}: {last!r}")
