"""Fan-out throughput of one worker process, fed by the broker, on full timelines.

The posts are written to the store first, then their PostCreated events are
produced to the topic in one burst while the worker (already owning every
partition) waits. Throughput counts from the start of the worker's first batch
to the end of its last one, both read from its own `batch applied` log lines,
which are also how the run learns that the last delivery landed: reading a file
takes nothing from the worker, where scraping its /metrics every few
milliseconds would take the GIL from the loop being measured. The counter
feed_fanout_deliveries_total is read once at the end, to check the log.

One measurement is `rounds` posts of every fan-out author; the run repeats it
and reports the median, since a single burst on a busy 2-core machine varies.
"""

from __future__ import annotations

import datetime
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from kafka import KafkaProducer

from feed.bench.graph import BenchGraph
from feed.bench.prefill import add_posts, new_posts
from feed.bench.stack import BenchStack
from feed.devstack.procs import ManagedProcess
from feed.events import PostCreated, encode, new_envelope, partition_key
from feed.ids import IdGenerator
from feed.telemetry.scrape import scrape, value

DELIVERIES = "feed_fanout_deliveries_total"
LOG_POLL_S = 0.02
GIVE_UP_S = 300.0


def produce_posts(bootstrap: str, topic: str, posts) -> None:
    """Produce one PostCreated per post, keyed by author like the write service, and wait for acks."""
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", linger_ms=5)
    try:
        now_ms = int(time.time() * 1000)
        for post in posts:
            event = PostCreated(post.post_id, post.author_id)
            producer.send(topic, key=partition_key(event), value=encode(new_envelope(event, now_ms)))
        producer.flush(timeout=60)
    finally:
        producer.close()


def _wall(ts: str) -> float:
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def batch_window(log_path: Path, since_wall: float) -> tuple[float, float, int, int]:
    """(first batch start, last batch end, batches, deliveries) from `batch applied` lines after since_wall.

    A line's timestamp is when the batch ended; its `ms` field is how long the
    batch took from the moment its records were in hand, so start = end - ms.
    """
    first, last, batches, deliveries = float("inf"), 0.0, 0, 0
    for line in log_path.read_text(errors="replace").splitlines():
        if '"batch applied"' not in line:
            continue
        entry = json.loads(line)
        end = _wall(entry["ts"])
        if end < since_wall:
            continue
        first = min(first, end - entry["ms"] / 1000)
        last = max(last, end)
        batches += 1
        deliveries += entry["deliveries"]
    return first, last, batches, deliveries


def wait_for_log(log_path: Path, since_wall: float, deliveries: int, timeout_s: float) -> float:
    """Poll the worker's log until batches since since_wall account for deliveries; return when seen."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if batch_window(log_path, since_wall)[3] >= deliveries:
            return time.monotonic()
        time.sleep(LOG_POLL_S)
    raise TimeoutError(f"the worker did not log {deliveries} deliveries within {timeout_s}s")


def measure_once(stack: BenchStack, worker: ManagedProcess, graph: BenchGraph, rounds: int, ids: IdGenerator) -> dict:
    """One burst of `rounds` posts of every fan-out author; its throughput figures."""
    authors = [a.author_id for _ in range(rounds) for a in graph.fanout]
    posts = new_posts(ids, authors, int(time.time() * 1000))
    add_posts(stack.settings.store_url, posts)
    expected = rounds * sum(a.followers for a in graph.fanout)
    since_wall = time.time()
    started = time.monotonic()
    produce_posts(stack.settings.kafka_bootstrap, stack.settings.events_topic, posts)
    landed_at = wait_for_log(worker.log_path, since_wall, expected, GIVE_UP_S)
    first, last, batches, logged = batch_window(worker.log_path, since_wall)
    return {
        "deliveries": logged,
        "batches": batches,
        "seconds": last - first,
        "per_s": logged / (last - first),
        "wall_per_s": logged / (landed_at - started),
    }


def run_fanout(
    stack: BenchStack,
    worker: ManagedProcess,
    graph: BenchGraph,
    rounds: int,
    repeats: int,
    ids: IdGenerator,
    before_each: Callable[[], None] = lambda: None,
) -> dict:
    """Repeat the burst, calling before_each() ahead of each (the ceiling runs interleave there);
    report the median run (and the spread), checked against the worker's counter."""
    before = value(scrape(worker.metrics_url), DELIVERIES)
    runs = []
    for _ in range(repeats):
        before_each()
        runs.append(measure_once(stack, worker, graph, rounds, ids))
    counted = value(scrape(worker.metrics_url), DELIVERIES) - before
    logged = sum(r["deliveries"] for r in runs)
    if counted != logged:
        raise RuntimeError(f"the worker counted {counted} deliveries but logged {logged}")
    median = statistics.median(r["per_s"] for r in runs)
    return {
        "fanout_deliveries": runs[0]["deliveries"],
        "fanout_posts": rounds * len(graph.fanout),
        "fanout_repeats": repeats,
        "fanout_batches": sum(r["batches"] for r in runs),
        "fanout_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "fanout_deliveries_per_s": round(median),
        "fanout_deliveries_min_per_s": round(min(r["per_s"] for r in runs)),
        "fanout_deliveries_max_per_s": round(max(r["per_s"] for r in runs)),
        "fanout_wall_deliveries_per_s": round(statistics.median(r["wall_per_s"] for r in runs)),
    }
