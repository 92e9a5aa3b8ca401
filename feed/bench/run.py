"""One benchmark run, phase by phase, on processes it starts and always stops.

Phases, in order: setup (graph and posts into SQLite, full timelines into
Redis), fan-out throughput of one worker interleaved with runs of the Redis
ceiling (on a second, empty redis-server), timeline memory, publish-to-visible
under a mixed load, then read latency per offered rate (read service in its
own process), last because its highest rates may overload the read service.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feed.bench.ceiling import ceiling_figures, ceiling_once
from feed.bench.channels import keys_of
from feed.bench.fanout_phase import run_fanout
from feed.bench.graph import build_graph
from feed.bench.memory import bytes_per_entry
from feed.bench.prefill import fill_timelines, load_store, new_posts
from feed.bench.reads import loadgen_result, run_reads, start_loadgen, warm_up
from feed.bench.stack import BenchStack, start_dependencies
from feed.bench.visibility import run_probes, visibility_figures
from feed.ids import IdGenerator
from feed.loadkit.tokens import TokenProvider
from feed.redis.connection import connect
from feed.redis.keys import TIMELINE_SLACK

BENCH_NODE = 1000  # id generator node of posts the bench writes itself (the services pick their own)
LOAD_SETTLE_S = 2.0


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes and durations of a run; QUICK trades precision for time."""

    users: int = 100_000
    readers: int = 2_000
    fanout_authors: int = 16
    rounds: int = 5  # posts per fan-out author in one burst (about 1.35 million deliveries)
    fanout_repeats: int = 3
    ceiling_requests: int = 1_000_000  # per ceiling run; one run before each fan-out burst
    read_rates: tuple[int, ...] = (250, 500, 750, 1000)
    read_seconds: float = 10.0
    warmup_seconds: float = 3.0
    visible_seconds: float = 30.0
    probe_every_s: float = 0.1
    probes_per_size: int = 5
    mixed_read_rate: float = 200.0
    mixed_post_rate: float = 10.0
    memory_sample: int = 500
    # Read service processes in the read phase (the visibility phase runs one), each on its own
    # port, balanced round robin by the client: one Python process cannot use much more than
    # one core, and the machine has two (docs/performance.md).
    read_replicas: int = 2
    quick: bool = False


QUICK = Plan(
    quick=True,
    rounds=2,
    ceiling_requests=400_000,
    read_rates=(250, 500, 1000),
    read_seconds=4.0,
    warmup_seconds=2.0,
    visible_seconds=12.0,
    probe_every_s=0.05,  # as many probes as a default run's, in less time
)
PHASES = ["setup", "fan-out and ceiling", "memory", "visibility", "reads"]


def run(plan: Plan, data_dir: Path, step: Callable[[str], None]) -> dict[str, Any]:
    """Every phase; step(name) is called as each one starts (progress reporting)."""
    started = time.monotonic()
    figures: dict[str, Any] = {
        "bench_users": plan.users,
        "bench_quick": plan.quick,
        "read_replicas": plan.read_replicas,
    }
    stack = start_dependencies(data_dir)
    try:
        client = connect(stack.settings.redis_url)
        step("setup")
        graph = build_graph(plan.users, plan.readers, plan.fanout_authors, plan.probes_per_size, background=50)
        ids = IdGenerator(node=BENCH_NODE)
        _setup(stack, client, graph, ids)
        worker = stack.start_worker()
        step("fan-out and ceiling")
        figures.update(_throughput(stack, worker, graph, plan, ids))
        step("memory")
        users = list(range(1, plan.users + 1))
        figures.update(bytes_per_entry(client, users, plan.memory_sample, stack.settings.timeline_max))
        stack.start_services()
        base = _load_base(stack, graph, plan)
        warm_up(base, plan.read_rates[0], plan.warmup_seconds)
        step("visibility")
        figures.update(_visibility(stack, client, graph, plan, base))
        step("reads")  # last: its highest rates may overload the read service
        stack.add_read_replicas(plan.read_replicas)
        base["read_addrs"] = stack.read_addrs
        figures.update(run_reads(base, list(plan.read_rates), plan.read_seconds))
    finally:
        stack.stop()
    figures["bench_seconds"] = round(time.monotonic() - started, 1)
    return figures


def _throughput(stack: BenchStack, worker, graph, plan: Plan, ids: IdGenerator) -> dict[str, Any]:
    """Fan-out bursts, each after a ceiling run, so both figures see the machine in the same state."""
    url, port = stack.start_ceiling_redis()
    ceiling_client = connect(url)
    ceilings: list[float] = []
    figures = run_fanout(
        stack,
        worker,
        graph,
        plan.rounds,
        plan.fanout_repeats,
        ids,
        before_each=lambda: ceilings.append(ceiling_once(ceiling_client, port, plan.ceiling_requests)),
    )
    figures.update(ceiling_figures(ceilings))
    figures["fanout_ratio"] = round(figures["fanout_deliveries_per_s"] / figures["redis_zadd_ceiling_per_s"], 3)
    return figures


def _setup(stack: BenchStack, client, graph, ids: IdGenerator) -> None:
    """Graph and prefill posts into the store; every timeline full in Redis."""
    max_entries = stack.settings.timeline_max
    authors = itertools.islice(itertools.cycle(a.author_id for a in graph.prefill), max_entries + TIMELINE_SLACK)
    posts = new_posts(ids, authors, int(time.time() * 1000))
    load_store(stack.settings.store_url, graph, posts)
    fill_timelines(client, graph.users, [p.post_id for p in reversed(posts)], max_entries)


def _load_base(stack: BenchStack, graph, plan: Plan) -> dict[str, Any]:
    """What every load generator run needs: addresses, the run's secret, who reads and who posts."""
    return {
        "read_addrs": stack.read_addrs,
        "write_addr": stack.settings.write_addr,
        "secret_file": stack.settings.jwt_secret_file,
        "tokens_issued_at": int(time.time()),  # every load generator of the run sends the same tokens
        "readers": list(range(1, plan.readers + 1)),
        "authors": [a.author_id for a in graph.background],
    }


def _visibility(stack: BenchStack, client, graph, plan: Plan, base: dict[str, Any]) -> dict[str, Any]:
    """Probes while a load generator reads and posts at a steady rate."""
    spec = {
        **base,
        "read_rate": plan.mixed_read_rate,
        "post_rate": plan.mixed_post_rate,
        "duration_s": plan.visible_seconds + LOAD_SETTLE_S + 1.0,
    }
    load = start_loadgen(spec)
    try:
        time.sleep(LOAD_SETTLE_S)  # the load generator starts up (imports, channels, tokens) and reaches its rate
        tokens = TokenProvider(keys_of(stack.settings.jwt_secret_file))
        latencies = run_probes(
            stack.settings.write_addr,
            tokens,
            client,
            graph.probes,
            graph.users,
            plan.visible_seconds,
            plan.probe_every_s,
        )
    finally:
        mixed = loadgen_result(load, spec["duration_s"])
    figures = visibility_figures(latencies)
    figures["mixed_read_p99_ms"] = mixed["read"]["p99_ms"]
    figures["mixed_post_p99_ms"] = mixed["post"]["p99_ms"]
    figures["mixed_errors"] = mixed["read"]["errors"] + mixed["post"]["errors"]
    return figures
