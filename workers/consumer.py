"""The worker's Kafka consumer: how it is configured to stay in its group, and what it reports on a rebalance."""

from __future__ import annotations

import logging

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from feed.config import Settings
from feed.telemetry import metrics
from workers.observability import forget_lag

log = logging.getLogger("feed.worker")
MAX_POLL_INTERVAL_MS = 60_000  # also the group's rebalance timeout; Tansu waits this long on joins
# A batch still applying after this long polls once (its partitions paused), so a batch of
# huge fan-out never outlives MAX_POLL_INTERVAL_MS and gets the worker evicted mid-way.
KEEPALIVE_S = 10.0
# How long the broker may hold a fetch that found nothing. Tansu does not answer a held fetch
# when records arrive, so a long wait is added to publish-to-visible latency (500 ms, the
# client's default, gave p50 ~130 ms under steady traffic; 20 ms gives ~6 ms). The price: an
# idle worker sends ~50 small fetches a second.
FETCH_MAX_WAIT_MS = 20


def new_consumer(settings: Settings, applied: dict[TopicPartition, int]) -> KafkaConsumer:
    """A consumer in the fan-out group, subscribed to the events topic; it forgets applied offsets it loses."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.fanout_batch_max,
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=2_000,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    consumer.subscribe([settings.events_topic], listener=_AssignmentLog(consumer, applied))
    return consumer


class _AssignmentLog(ConsumerRebalanceListener):
    """Logs and exports which partitions this worker owns."""

    def __init__(self, consumer: KafkaConsumer, applied: dict[TopicPartition, int]) -> None:
        self._consumer = consumer
        self._applied = applied

    def on_partitions_revoked(self, revoked) -> None:
        metrics.ASSIGNED_PARTITIONS.set(0)
        forget_lag(revoked)

    def on_partitions_assigned(self, assigned) -> None:
        for tp in assigned:  # another worker may have moved on since we last owned it
            self._applied.pop(tp, None)
        metrics.ASSIGNED_PARTITIONS.set(len(assigned))
        log.info("partitions assigned", extra={"partitions": sorted(tp.partition for tp in assigned)})
