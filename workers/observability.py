"""What the worker loop reports about each batch: metrics, consumer lag, request ids.

Hooks the loop calls at fixed points (after a poll, after a batch applied), so
fan-out planning and applying hold no metrics code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from feed.events import Envelope
from feed.fanout.plan import FanoutPlan
from feed.telemetry import metrics
from feed.telemetry.request_context import HEADER_KEY, accept_request_id

MAX_LOGGED_REQUEST_IDS = 20  # per batch log line: enough to grep a call, bounded for 2,000-event batches


def partition_lag(highwater: int | None, applied: int | None) -> int | None:
    """Records left to apply, never negative; None until both offsets are known.

    Tansu can report a partition's end offset one below the next record's
    offset, which would read as a lag of -1 on a caught-up partition.
    """
    if highwater is None or applied is None:
        return None
    return max(0, highwater - applied)


def record_lag(consumer: KafkaConsumer, applied: Mapping[TopicPartition, int]) -> None:
    """Set the lag gauge of every owned partition: broker highwater minus the next offset to apply.

    Measured from what the worker applied and committed, not from the fetch
    position, so a batch being applied still counts as lag; a partition that has
    returned no records yet stands at its position (the group's committed
    offset). Uses only what the last fetches told the consumer: no broker call.
    """
    for tp in consumer.assignment():
        try:
            next_offset = applied.get(tp)
            if next_offset is None:
                next_offset = consumer.position(tp, timeout_ms=0)
            lag = partition_lag(consumer.highwater(tp), next_offset)
        except KafkaError:  # revoked or not yet positioned: try again after the next poll
            continue
        if lag is not None:
            metrics.CONSUMER_LAG.labels(str(tp.partition)).set(lag)


def forget_lag(partitions: Iterable[TopicPartition]) -> None:
    """Drop the lag series of partitions this worker no longer owns, so sums over workers stay right."""
    for tp in partitions:
        with contextlib.suppress(KeyError):  # never measured
            metrics.CONSUMER_LAG.remove(str(tp.partition))


def request_id_of(record: Any) -> str | None:
    """The `request-id` header of a Kafka record, if it has a usable one."""
    for key, value in record.headers or ():
        if key == HEADER_KEY:
            return accept_request_id(value)
    return None


def bounded_ids(request_ids: Iterable[str | None]) -> dict[str, Any]:
    """Log fields for a batch's request ids: distinct ones, at most MAX_LOGGED_REQUEST_IDS, and how many left out."""
    distinct = list(dict.fromkeys(i for i in request_ids if i))
    fields: dict[str, Any] = {"request_ids": distinct[:MAX_LOGGED_REQUEST_IDS]}
    if len(distinct) > MAX_LOGGED_REQUEST_IDS:
        fields["request_ids_omitted"] = len(distinct) - MAX_LOGGED_REQUEST_IDS
    return fields


def observe_applied(envelopes: Sequence[Envelope], plan: FanoutPlan, landed: int, started: float) -> None:
    """Count an applied batch: events, deliveries, skips, batch size and time, publish-to-delivered latency."""
    now_ms = time.time() * 1000  # wall clock: event times are the write service's wall clock
    metrics.DELIVERIES.inc(landed)
    # Pushes to timelines that are not in Redis do not land: their owners have not read lately.
    metrics.SKIPPED_DELIVERIES.labels("inactive").inc(max(0, len(plan.pushes) - landed))
    metrics.SKIPPED_DELIVERIES.labels("celebrity").inc(plan.skipped_read_time)  # the label predates groups
    metrics.BATCH_EVENTS.observe(len(envelopes))
    metrics.BATCH_SECONDS.observe(time.monotonic() - started)
    by_kind: dict[str, list[float]] = {}
    for envelope in envelopes:  # clocks of two hosts can disagree: never observe a negative time
        by_kind.setdefault(envelope.kind, []).append(max(0.0, now_ms - envelope.event_time_ms) / 1000)
    for kind, latencies in by_kind.items():
        metrics.EVENTS_CONSUMED.labels(kind).inc(len(latencies))
        histogram = metrics.PUBLISH_TO_DELIVERED.labels(kind)
        for seconds in latencies:
            histogram.observe(seconds)


def merged(plans: Sequence[FanoutPlan]) -> FanoutPlan:
    """One plan holding the parts of a batch applied apart (after a bisect), for counting them together."""
    whole = FanoutPlan()
    for plan in plans:
        for field in dataclasses.fields(FanoutPlan):
            setattr(whole, field.name, getattr(whole, field.name) + getattr(plan, field.name))
    return whole
