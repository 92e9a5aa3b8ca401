"""One benchmark run, phase by phase, on processes it starts and always stops.

Phases, in order: setup (graph and posts into the store, full timelines into
Redis), fan-out throughput of one worker interleaved with runs of the Redis
ceiling (on a second, empty redis-server), timeline memory, publish-to-visible
under a mixed load, the gRPC floor (feed.bench.grpc_floor: an empty call's CPU at
the reads' highest rate), then read latency and CPU per page at each offered rate
(read service in its own processes), last because its highest rates may overload it,
the highest rate again once every reader has 100 keyword filters and 20 mutes, and then
reads of a home timeline that merges 5 read-time authors and 2 read-time groups.
CreatePost's write-service CPU per call is measured just before the visibility phase.

On Cassandra (`--store cassandra`, or `both`: SQLite, then Cassandra) the run
starts a stack of its own and measures only what depends on the store:
CreatePost CPU and publish-to-visible, on a lean graph (feed.bench.graph.lean_graph),
because every follow and binding loaded into Cassandra is a lightweight transaction.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feed.bench.ceiling import ceiling_figures, ceiling_once
from feed.bench.channels import keys_of
from feed.bench.fanout_phase import run_fanout
from feed.bench.first_pages import first_pages
from feed.bench.graph import BenchGraph, build_graph, lean_graph
from feed.bench.grpc_floor import MODELS as FLOOR_MODELS
from feed.bench.memory import bytes_per_entry
from feed.bench.merge_reads import run_merge_phase
from feed.bench.plan import Plan
from feed.bench.prefill import fill_timelines, load_store, new_posts
from feed.bench.quiet_reads import filtered_ratio, run_quiet_phase
from feed.bench.reads import (
    cheapest_floor,
    floor_ratio,
    loadgen_result,
    run_floor,
    run_reads,
    start_loadgen,
    warm_up,
)
from feed.bench.stack import BenchStack, start_dependencies
from feed.bench.streams import run_stream_probes, stream_figures, stream_memory
from feed.bench.visibility import run_probes, visibility_figures
from feed.bench.write_cpu import create_post_cpu, events_applied, wait_until_applied
from feed.ids import IdGenerator
from feed.loadkit.tokens import TokenProvider
from feed.redis.connection import connect
from feed.redis.keys import TIMELINE_SLACK

BENCH_NODE = 1000  # id generator node of posts the bench writes itself (the services pick their own)
LOAD_SETTLE_S = 2.0
STORE_FIGURES = ("create_post_", "visible_", "mixed_")  # prefixes of the figures that depend on the store


def store_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run that depend on its store."""
    return {k: v for k, v in figures.items() if k.startswith(STORE_FIGURES)}


def run(
    plan: Plan, data_dir: Path, step: Callable[[str], None], stores: tuple[str, ...] = ("sqlite",)
) -> dict[str, Any]:
    """Every phase on SQLite, the store's own phases on Cassandra (in data_dir/cassandra);
    step(name) is called as each one starts (progress reporting)."""
    started = time.monotonic()
    figures: dict[str, Any] = {
        "bench_users": plan.users,
        "bench_quick": plan.quick,
        "read_replicas": plan.read_replicas,
    }
    if "sqlite" in stores:
        figures.update(_run_on("sqlite", plan, data_dir, step))
    if stores != ("sqlite",):  # Cassandra's figures, beside SQLite's: name each store's
        figures["stores"] = {"sqlite": store_figures(figures)} if "sqlite" in stores else {}
        for store in (s for s in stores if s != "sqlite"):
            figures["stores"][store] = _run_on(store, plan, data_dir / store, step)
    figures["bench_seconds"] = round(time.monotonic() - started, 1)
    return figures


def _run_on(store: str, plan: Plan, data_dir: Path, step: Callable[[str], None]) -> dict[str, Any]:
    """One stack on one store: every phase on SQLite; on Cassandra setup (lean graph), writes and visibility."""
    whole = store == "sqlite"  # filling Cassandra with the whole graph takes about 30 min here (LWTs)
    prefix = "" if whole else f"{store}: "
    figures: dict[str, Any] = {}
    step(prefix + "setup")  # a Cassandra takes a while to start
    stack = start_dependencies(data_dir, store)
    try:
        client = connect(stack.settings.redis_url)
        graph = build_graph(plan.users, plan.readers, plan.fanout_authors, plan.probes_per_size, background=50)
        graph = graph if whole else lean_graph(graph)
        ids = IdGenerator(node=BENCH_NODE)
        _setup(stack, client, graph, ids, lean=not whole)
        worker = stack.start_worker()
        if whole:
            step("fan-out and ceiling")
            figures.update(_throughput(stack, worker, graph, plan, ids))
            step("memory")
            users = list(range(1, plan.users + 1))
            figures.update(bytes_per_entry(client, users, plan.memory_sample, stack.settings.timeline_max))
        stack.start_services()
        base = _load_base(stack, graph)
        warm_up(base, plan.read_rates[0], plan.warmup_seconds)
        step(prefix + "writes")
        figures.update(_create_post_cpu(stack, graph, plan))
        step(prefix + "visibility")
        figures.update(_visibility(stack, client, graph, plan, base))
        if whole:
            step("streams")
            figures.update(_streams(stack, graph, plan, base))
            stack.add_read_replicas(plan.read_replicas)
            base["read_addrs"] = stack.read_addrs
            step("grpc floor")  # before the reads: an overloaded read service may still be busy after them
            figures.update(_floor(stack, plan, base))
            step("reads")  # last: its highest rates may overload the read service
            first_pages(base, base["readers"])  # every reader warm on every replica: the steady state's figures
            figures.update(run_reads(base, list(plan.read_rates), plan.read_seconds, stack.read_pids()))
            figures.update(floor_ratio(figures))
            step("filtered reads")  # after the reads, on their readers: the same pages, filters and mutes checked
            rate, pids = max(plan.read_rates), stack.read_pids()
            figures.update(run_quiet_phase(client, stack.settings.store_url, base, rate, plan.read_seconds, pids))
            figures.update(filtered_ratio(figures))
            step("read merge")  # after the other reads: its registry would change their pages
            figures.update(run_merge_phase(stack, client, graph, plan, ids, base))
    finally:
        stack.stop()
    return figures


def _create_post_cpu(stack: BenchStack, graph: BenchGraph, plan: Plan) -> dict[str, Any]:
    """Write-service CPU per CreatePost, by the authors of up to 1,000 followers (a few posts each);
    returns once the worker has fanned them all out, so the visibility probes do not queue behind them."""
    probes = [a for group in graph.probes.values() for a in group]
    authors = [a.author_id for a in [*graph.background, *probes] if a.followers <= 1000]
    write, worker = stack.process("write service"), stack.process("fan-out worker")
    tokens = TokenProvider(keys_of(stack.settings.jwt_secret_file))
    applied = events_applied(worker.metrics_url)
    figures = create_post_cpu(write.pid, stack.settings.write_addr, tokens, authors, plan.create_post_calls)
    wait_until_applied(worker.metrics_url, applied + figures.pop("create_post_created"))
    return figures


def _floor(stack: BenchStack, plan: Plan, base: dict[str, Any]) -> dict[str, Any]:
    """The floor servers of each model in turn, as many as read replicas, under the reads' highest rate
    (each stopped after its run); the cheaper model is the floor (feed.bench.reads.cheapest_floor)."""
    by_model = {}
    for model in FLOOR_MODELS:
        floors = stack.start_floor_servers(plan.read_replicas, model)
        try:
            addrs, pids = [addr for _, addr in floors], [proc.pid for proc, _ in floors]
            by_model[model] = run_floor(base, max(plan.read_rates), plan.read_seconds, addrs, pids)
        finally:
            stack.stop_processes([proc for proc, _ in floors])
    return cheapest_floor(by_model)


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


def _setup(stack: BenchStack, client, graph: BenchGraph, ids: IdGenerator, lean: bool = False) -> None:
    """Graph and prefill posts into the store; every timeline full in Redis."""
    max_entries = stack.settings.timeline_max
    authors = itertools.islice(itertools.cycle(a.author_id for a in graph.prefill), max_entries + TIMELINE_SLACK)
    posts = new_posts(ids, authors, int(time.time() * 1000))
    load_store(stack.settings.store_url, graph, posts, lean)
    fill_timelines(client, graph.users, [p.post_id for p in reversed(posts)], max_entries)


def _load_base(stack: BenchStack, graph: BenchGraph) -> dict[str, Any]:
    """What every load generator run needs: addresses, the run's secret, who reads and who posts."""
    return {
        "read_addrs": stack.read_addrs,
        "write_addr": stack.settings.write_addr,
        "secret_file": stack.settings.jwt_secret_file,
        "tokens_issued_at": int(time.time()),  # every load generator of the run sends the same tokens
        "readers": list(range(1, graph.readers + 1)),
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


def _streams(stack: BenchStack, graph, plan: Plan, base: dict[str, Any]) -> dict[str, Any]:
    """Publish-to-stream latency under the visibility phase's mixed load, then RSS per idle stream
    (feed/bench/streams.py), both on the one read process."""
    spec = {
        **base,
        "read_rate": plan.mixed_read_rate,
        "post_rate": plan.mixed_post_rate,
        "duration_s": plan.visible_seconds + LOAD_SETTLE_S + 1.0,
    }
    tokens = TokenProvider(keys_of(stack.settings.jwt_secret_file))
    load = start_loadgen(spec)
    try:
        time.sleep(LOAD_SETTLE_S)  # as in _visibility: the load generator reaches its rate
        s = stack.settings
        latencies = run_stream_probes(
            s.write_addr, s.stream_addr, tokens, graph.probes, graph.users, plan.visible_seconds, plan.probe_every_s
        )
    finally:
        loadgen_result(load, spec["duration_s"])
    read = stack.process("read service")
    log = stack.data_dir / "logs" / "idle-streams.log"
    memory = stream_memory(read.pid, read.metrics_url, s.stream_addr, s.jwt_secret_file, graph.users, log)
    return {**stream_figures(latencies), **memory}
