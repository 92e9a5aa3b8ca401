"""`feed relay`: publish the store's outbox to Kafka until SIGTERM."""

from __future__ import annotations

import argparse
import threading

from feed.config import Settings
from feed.health.probes import start_readiness
from feed.messaging.publisher import KafkaEventPublisher
from feed.messaging.topics import ensure_topic
from feed.outbox.doorbell import DoorbellListener
from feed.outbox.relay import OutboxRelay
from feed.redis.connection import connect
from feed.store import open_store
from feed.telemetry import logs, metrics, tracing


def main(argv: list[str], stop: threading.Event) -> int:
    argparse.ArgumentParser(prog="feed relay", description="Publish recorded events to Kafka.").parse_args(argv)
    settings = Settings.from_env()
    logs.configure("outbox-relay")
    tracing.configure("outbox-relay")  # spans of the publish, when OTEL_* asks for them
    ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    store = open_store(settings.store_url)
    readiness = start_readiness(settings, store, kafka=True)
    metrics.start_metrics_server(settings.metrics_addr, readiness.status)
    publisher = KafkaEventPublisher(settings.kafka_bootstrap, settings.events_topic, settings.kafka_timeout_s)
    wake = threading.Event()
    listener = DoorbellListener(connect(settings.redis_url), wake).start()
    relay = OutboxRelay(
        store.outbox,
        publisher,
        settings.outbox_batch,
        settings.outbox_poll_ms / 1000,
        max_idle_s=settings.outbox_idle_max_ms / 1000,
        wake=wake,
    )
    try:
        relay.run(stop)
    finally:
        listener.stop()
        readiness.stop()
        publisher.close()
        store.close()
    return 0
