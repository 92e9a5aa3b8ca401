"""The fan-out worker: poll a batch, resolve, plan, apply, commit.

Offsets are committed only after Redis has the whole batch, so delivery is
at-least-once; applying is idempotent, so redelivery is harmless. A batch
that fails to apply (Redis or the store unreachable) is not committed: the
consumer seeks back to it and tries again after a pause, polling meanwhile so
the group does not evict it. SIGTERM finishes the batch in hand, commits and
leaves the group, exiting 0.

Each applied batch is logged at INFO with the request ids of its events (from
the `request-id` record header, at most MAX_LOGGED_REQUEST_IDS), and each event
at DEBUG with its own; metrics are reported by hooks in workers/observability.py.
"""

from __future__ import annotations

import logging
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from feed.config import Settings
from feed.events import Envelope, InvalidEvent, decode
from feed.fanout.apply import apply_plan
from feed.fanout.plan import plan_fanout
from feed.fanout.resolve import resolve
from feed.health.probes import start_readiness
from feed.messaging.dead_letters import DeadLetterQueue, dead_letter_topic
from feed.messaging.topics import ensure_topic
from feed.redis.connection import RedisFunctions, connect
from feed.shutdown import Stop
from feed.store import Store, open_store
from feed.telemetry import metrics
from feed.timeline.sources import ReadTimeSources, RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore, TimelineStore
from workers.observability import bounded_ids, forget_lag, observe_applied, record_lag, request_id_of

log = logging.getLogger("feed.worker")
POLL_TIMEOUT_MS = 500
RETRY_PAUSE_S = 1.0
MAX_POLL_INTERVAL_MS = 60_000  # also the group's rebalance timeout; Tansu waits this long on joins
# A batch still applying after this long polls once (its partitions paused), so a batch of
# huge fan-out never outlives MAX_POLL_INTERVAL_MS and gets the worker evicted mid-way.
KEEPALIVE_S = 10.0
# How long the broker may hold a fetch that found nothing. Tansu does not answer a held fetch
# when records arrive, so a long wait is added to publish-to-visible latency (500 ms, the
# client's default, gave p50 ~130 ms under steady traffic; 20 ms gives ~6 ms). The price: an
# idle worker sends ~50 small fetches a second.
FETCH_MAX_WAIT_MS = 20


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


class FanoutWorker:
    """One consumer in the fan-out group."""

    def __init__(self, settings: Settings, store: Store, timelines: TimelineStore, read_time: ReadTimeSources) -> None:
        self.settings = settings
        self.store = store
        self.timelines = timelines
        self.read_time = read_time
        self.dead_letters = DeadLetterQueue(
            settings.kafka_bootstrap, dead_letter_topic(settings.events_topic), settings.kafka_timeout_s
        )
        self.consumer = KafkaConsumer(
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
        # Per owned partition, the offset of the next record to apply: what lag is measured from.
        self.applied: dict[TopicPartition, int] = {}
        self.consumer.subscribe([settings.events_topic], listener=_AssignmentLog(self.consumer, self.applied))
        self.batches = 0
        self.deliveries = 0
        self._last_poll = time.monotonic()

    def run(self, stop: Stop) -> None:
        """Process batches until stop is set, then commit and leave the group."""
        log.info("worker started", extra={"group": self.settings.consumer_group, "topic": self.settings.events_topic})
        while not stop.is_set():
            records = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS, max_records=self.settings.fanout_batch_max)
            self._last_poll = time.monotonic()
            for tp, batch in records.items():
                self.applied.setdefault(tp, batch[0].offset)  # polled is not applied: it is still lag
            record_lag(self.consumer, self.applied)
            if records:
                self.handle(records, stop)
                record_lag(self.consumer, self.applied)
        self.consumer.close(autocommit=False)
        log.info("worker stopped", extra={"batches": self.batches, "deliveries": self.deliveries})

    def handle(self, records: dict[TopicPartition, list], stop: Stop) -> None:
        """Apply one polled batch and commit it; on failure rewind so it is polled again."""
        envelopes: list[Envelope] = []
        request_ids: list[str | None] = []  # request_ids[i] caused envelopes[i]
        for partition, batch in records.items():
            for record in batch:
                try:
                    envelopes.append(decode(record.value))
                    request_ids.append(request_id_of(record))
                except InvalidEvent as exc:
                    # Kept on the dead-letter topic with its reason; the batch goes on without it.
                    self.dead_letters.send(record, str(exc))
                    metrics.DEAD_LETTERS.labels("invalid_event").inc()
                    log.error(
                        "skipping invalid event",
                        extra={
                            "reason": str(exc),
                            "partition": partition.partition,
                            "offset": record.offset,
                            "request_id": request_id_of(record),
                        },
                    )
        started = time.monotonic()
        try:
            threshold, max_entries = self.settings.celebrity_threshold, self.timelines.max_entries
            facts = resolve(self.store, envelopes, threshold, max_entries, self.read_time)
            plan = plan_fanout(envelopes, facts)
            landed = apply_plan(self.timelines, self.read_time, plan, self.keep_alive)
            self.dead_letters.flush()  # before the commit: a dead letter is never lost
        except Exception:
            metrics.BATCH_FAILURES.inc()
            log.exception(
                "batch failed; it will be retried", extra={"events": len(envelopes), **bounded_ids(request_ids)}
            )
            for partition, batch in records.items():
                self.consumer.seek(partition, batch[0].offset)
            stop.wait(RETRY_PAUSE_S)
            return
        self.commit({tp: OffsetAndMetadata(batch[-1].offset + 1, "", -1) for tp, batch in records.items()})
        self.batches += 1
        self.deliveries += landed
        observe_applied(envelopes, plan, landed, started)
        self.log_applied(envelopes, request_ids, landed, started)

    def keep_alive(self) -> None:
        """Poll without taking records if the batch in hand has run for KEEPALIVE_S.

        Every owned partition is paused first, so the poll only heartbeats and resets
        the poll timer. Should a rebalance inside it hand us a new partition (not
        paused) whose records come back, they are sought back, to be polled again.
        """
        if time.monotonic() - self._last_poll < KEEPALIVE_S:
            return
        paused = set(self.consumer.assignment())
        self.consumer.pause(*paused)
        try:
            for tp, batch in self.consumer.poll(timeout_ms=0).items():
                self.consumer.seek(tp, batch[0].offset)
        finally:
            self.consumer.resume(*(paused & set(self.consumer.assignment())))
            self._last_poll = time.monotonic()

    def log_applied(
        self, envelopes: list[Envelope], request_ids: list[str | None], landed: int, started: float
    ) -> None:
        """One INFO line per batch with its (bounded) request ids; one DEBUG line per event."""
        if log.isEnabledFor(logging.DEBUG):
            for envelope, request_id in zip(envelopes, request_ids, strict=True):
                log.debug(
                    "event applied",
                    extra={"event_id": envelope.event_id, "type": envelope.kind, "request_id": request_id},
                )
        log.info(
            "batch applied",
            extra={
                "events": len(envelopes),
                "deliveries": landed,
                "ms": round((time.monotonic() - started) * 1e3, 2),
                **bounded_ids(request_ids),
            },
        )

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        try:
            self.consumer.commit(offsets)
            self.applied.update({tp: meta.offset for tp, meta in offsets.items()})
        except CommitFailedError:
            # The group rebalanced under us: the new owner re-applies the batch (idempotent).
            log.warning("commit failed after a rebalance; the batch will be redelivered")
        except KafkaError as exc:
            log.warning("commit failed: %s; the batch will be redelivered", type(exc).__name__)


def main(settings: Settings, stop: Stop) -> int:
    """Entry point of `feed worker`."""
    ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    ensure_topic(settings.kafka_bootstrap, dead_letter_topic(settings.events_topic), 1)
    store = open_store(settings.store_url)
    readiness = start_readiness(settings, store, kafka=True)  # no gRPC server: /healthz and feed_dependency_up
    metrics.start_metrics_server(settings.metrics_addr, readiness.status)
    functions = RedisFunctions(connect(settings.redis_url))
    timelines = RedisTimelineStore(functions, settings.timeline_max)
    worker = FanoutWorker(settings, store, timelines, RedisReadTimeSources(functions, settings.timeline_max))
    try:
        worker.run(stop)
    finally:
        readiness.stop()
        worker.dead_letters.close()
        store.close()
    return 0
