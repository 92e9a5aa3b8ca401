"""The fan-out worker: poll a batch, resolve, plan, apply, commit.

Offsets are committed only after Redis has the whole batch and the broker has
its dead letters, so delivery is at-least-once; applying is idempotent, so
redelivery is harmless. Nothing stalls a partition: an event that cannot be
decoded or fails validation is dead-lettered at once; a batch that keeps failing
is retried, then bisected until the events that still fail alone are
dead-lettered with the reason (workers/batches.py), the rest applied. An outage
(workers/outages.py) is waited out, never dead-lettered: the batch is tried
again, pausing, polling meanwhile so the group does not evict the worker. Only
partitions still owned are committed. SIGTERM finishes the batch in hand and
commits it, or, in the middle of retries, leaves it uncommitted; the worker
leaves the group and exits 0.

After Redis has a batch and before its commit, the worker publishes what it applied on
Redis pub/sub (feed/fanout/notify.py), best effort, for the read processes' live streams.

Each applied batch is logged at INFO with the request ids of its events (from
the `request-id` record header, at most MAX_LOGGED_REQUEST_IDS), and each event
at DEBUG with its own; metrics are reported by hooks in workers/observability.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from kafka import OffsetAndMetadata, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from feed.config import Settings
from feed.errors import Unavailable
from feed.events import Envelope, InvalidEvent, decode
from feed.fanout.apply import apply_plan
from feed.fanout.notify import publish_applied
from feed.fanout.plan import FanoutPlan, plan_fanout
from feed.fanout.resolve import resolve
from feed.fanout.retire import SourceRetirer
from feed.health.probes import start_readiness
from feed.messaging.dead_letters import DeadLetterQueue, dead_letter_topic
from feed.messaging.topics import ensure_topic
from feed.redis.connection import RedisFunctions, connect
from feed.redis.post_cache import PostCache, RedisPostCache
from feed.shutdown import Stop
from feed.store import Store, open_store
from feed.telemetry import metrics, tracing
from feed.timeline.sources import ReadTimeSources, RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore, TimelineStore
from workers.batches import RetryPolicy, apply_isolating
from workers.consumer import KEEPALIVE_S, new_consumer
from workers.observability import bounded_ids, merged, observe_applied, record_lag, request_id_of
from workers.outages import is_outage

log = logging.getLogger("feed.worker")
POLL_TIMEOUT_MS = 500
RETRY = RetryPolicy(attempts=3, first_pause_s=0.2, max_pause_s=5.0)  # of failing batches and dead-letter sends


class FanoutWorker:
    """One consumer in the fan-out group."""

    traced = False  # set when built, if tracing is on: batches then run in spans (workers/spans.py)

    def __init__(
        self,
        settings: Settings,
        store: Store,
        timelines: TimelineStore,
        read_time: ReadTimeSources,
        post_cache: PostCache | None = None,
        publish: Callable[[str, bytes], object] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.timelines = timelines
        self.read_time = read_time
        self.post_cache = post_cache  # deleted posts are tombstoned here too
        self.publish = publish or (lambda channel, message: None)  # the applied notification (Redis PUBLISH)
        self.retirer = SourceRetirer(
            store, timelines, read_time, settings.celebrity_threshold, settings.read_time_retention_s
        )
        self.dead_letters = DeadLetterQueue(
            settings.kafka_bootstrap, dead_letter_topic(settings.events_topic), settings.kafka_timeout_s
        )
        # Per owned partition, the offset of the next record to apply: what lag is measured from.
        self.applied: dict[TopicPartition, int] = {}
        self.consumer = new_consumer(settings, self.applied)
        self.batches = 0
        self.deliveries = 0
        self.traced = tracing.enabled()  # once: an untraced worker never asks again
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
        """Apply one polled batch, dead-letter what cannot be applied, and commit it.

        Nothing here gives up: a failing batch is retried and bisected (workers/batches.py),
        an outage waited out. Only stop leaves a batch uncommitted, to be redelivered.
        When tracing is on, the batch runs in its span and each applied event gets its own
        (workers/spans.py).
        """
        if not self.traced:
            self.handle_batch(records, stop)
            return
        from workers.spans import batch_span, event_spans

        started_ns = time.time_ns()
        with batch_span([r for batch in records.values() for r in batch], self.settings.events_topic) as span:
            kept = self.handle_batch(records, stop)
            event_spans(kept, started_ns, span)

    def handle_batch(self, records: dict[TopicPartition, list], stop: Stop) -> list[tuple[Any, Envelope]]:
        """handle() without spans; returns the (record, envelope) pairs applied and committed."""
        items = self.decode_batch(records)
        started = time.monotonic()
        outcome = apply_isolating(items, self.apply, lambda s: self.pause(s, stop), is_outage, RETRY)
        if outcome.stopped:
            log.warning("stopping with a batch not applied; it will be redelivered", extra={"events": len(items)})
            return []
        for (record, _), reason in outcome.dead:
            self.dead_letter(record, reason, "apply_failed")
        if not self.flush_dead_letters(stop):
            return []
        dead = {id(record) for (record, _), _ in outcome.dead}
        kept = [(record, envelope) for record, envelope in items if id(record) not in dead]
        envelopes = [envelope for _, envelope in kept]
        # After Redis has the batch (a woken stream reads it there), before the commit (a worker
        # killed in between re-applies and so re-publishes); best effort, never fails the batch.
        publish_applied(self.publish, envelopes)
        # Only partitions still ours: a rebalance during the batch gave the others to a worker that re-applies them.
        owned = self.consumer.assignment()
        self.commit({tp: OffsetAndMetadata(b[-1].offset + 1, "", -1) for tp, b in records.items() if tp in owned})
        landed = sum(landed for _, landed in outcome.applied)
        self.batches += 1
        self.deliveries += landed
        self.retirer.after_batch(envelope.event.org_id for envelope in envelopes)  # idle read-time sources leave
        observe_applied(envelopes, merged([plan for plan, _ in outcome.applied]), landed, started)
        self.log_applied(envelopes, [request_id_of(record) for record, _ in kept], landed, started)
        return kept

    def decode_batch(self, records: dict[TopicPartition, list]) -> list[tuple[Any, Envelope]]:
        """The batch's (record, envelope) pairs in order; invalid records are dead-lettered instead."""
        items: list[tuple[Any, Envelope]] = []
        for batch in records.values():
            for record in batch:
                try:
                    items.append((record, decode(record.value)))
                except InvalidEvent as exc:  # kept on the dead-letter topic; the batch goes on without it
                    self.dead_letter(record, str(exc), "invalid_event")
        return items

    def apply(self, items: Sequence[tuple[Any, Envelope]]) -> tuple[FanoutPlan, int]:
        """Resolve, plan and apply some of a batch's events; idempotent, so a retry may redo part of it."""
        envelopes = [envelope for _, envelope in items]
        try:
            threshold, max_entries = self.settings.celebrity_threshold, self.timelines.max_entries
            facts = resolve(self.store, envelopes, threshold, max_entries, self.read_time)
            plan = plan_fanout(envelopes, facts)
            return plan, apply_plan(self.timelines, self.read_time, plan, self.keep_alive, self.post_cache)
        except Exception as exc:
            metrics.BATCH_FAILURES.inc()
            log.warning(
                "applying %d events failed (%s: %s); retrying",
                len(envelopes),
                type(exc).__name__,
                exc,
                extra=bounded_ids(request_id_of(record) for record, _ in items),
            )
            raise

    def dead_letter(self, record: Any, reason: str, label: str) -> None:
        """Queue record for the dead-letter topic (flushed before the batch is committed) and count it."""
        self.dead_letters.send(record, reason)
        metrics.DEAD_LETTERS.labels(label).inc()
        log.error(
            "dead-lettering an event",
            extra={
                "reason": reason,
                "partition": record.partition,
                "offset": record.offset,
                "request_id": request_id_of(record),
            },
        )

    def flush_dead_letters(self, stop: Stop) -> bool:
        """Wait until the broker has the batch's dead letters, retrying while it refuses; False on stop."""
        failures = 0
        while True:
            try:
                self.dead_letters.flush()
                return True
            except Unavailable as exc:
                failures += 1
                log.warning("dead letters not taken (%s); retrying before the batch is committed", exc)
            if self.pause(RETRY.pause(failures), stop):
                return False

    def pause(self, seconds: float, stop: Stop) -> bool:
        """Wait seconds, polling as keep_alive does so the group keeps us; True as soon as stop is set."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(left, KEEPALIVE_S / 2)):
                return True
            try:
                self.keep_alive()
            except KafkaError as exc:  # the broker is away too: the next poll tries again
                log.warning("keep-alive poll failed: %s", type(exc).__name__)
        return stop.is_set()

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
    tracing.configure("fan-out-worker")  # first: what is built next looks at tracing.enabled()
    ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    ensure_topic(settings.kafka_bootstrap, dead_letter_topic(settings.events_topic), 1)
    store = open_store(settings.store_url)
    readiness = start_readiness(settings, store, kafka=True)  # no gRPC server: /healthz and feed_dependency_up
    metrics.start_metrics_server(settings.metrics_addr, readiness.status)
    functions = RedisFunctions(connect(settings.redis_url))
    timelines = RedisTimelineStore(functions, settings.timeline_max)
    read_time = RedisReadTimeSources(functions, settings.timeline_max)
    posts = RedisPostCache(functions.client, settings.post_cache_ttl_s)
    worker = FanoutWorker(settings, store, timelines, read_time, posts, functions.client.publish)
    try:
        worker.run(stop)
    finally:
        readiness.stop()
        worker.dead_letters.close()
        store.close()
    return 0
