"""What one CreatePost costs the write service: its CPU time (user + system, from /proc) per call.

A wall-clock rate on a shared two-core machine measures the neighbours as much
as the service; the CPU time the write-service process itself spent over a
fixed number of calls does not, so the figure compares stores (SQLite,
Cassandra) run at different moments. A few client threads call at once, as
clients do, so the service's own concurrency is part of what is measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc

from feed.bench.channels import post_stub
from feed.bench.cpu import cpu_s
from feed.bench.prefill import POST_TEXT
from feed.loadkit.tokens import TokenProvider
from feed.telemetry.scrape import scrape
from feed.v1 import post_service_pb2

WARMUP_CALLS = 20  # the first calls open store sessions and warm caches: not the steady cost
CLIENT_THREADS = 8
CALL_TIMEOUT_S = 10.0
EVENTS_APPLIED = "feed_fanout_events_consumed_total"
DRAIN_TIMEOUT_S = 300.0  # a worker on a one-node Cassandra of a busy machine applies a few dozen events a second
DRAIN_POLL_S = 0.2


def cpu_us_per_call(cpu_before_s: float, cpu_after_s: float, calls: int) -> float:
    """Microseconds of CPU per call between two readings of a process's CPU seconds."""
    if calls < 1:
        raise ValueError("at least one call is needed to divide by")
    return round((cpu_after_s - cpu_before_s) * 1_000_000 / calls, 1)


def cpu_per_call(call: Callable[[int], object], calls: int, cpu: Callable[[], float]) -> float:
    """call(0 .. calls-1) from CLIENT_THREADS threads; cpu() read just before and just after."""
    before = cpu()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(call, range(calls)))  # list(): re-raises the first failed call
    return cpu_us_per_call(before, cpu(), calls)


def create_post_cpu(write_pid: int, write_addr: str, tokens: TokenProvider, authors: list[int], calls: int) -> dict:
    """create_post_cpu_us over `calls` CreatePosts, spread round robin over authors (under their rate limit).

    A failed call (a store timing out on a busy machine) is counted, not fatal: it cost CPU too."""
    channel, stub = post_stub(write_addr, tokens)
    errors: list[str] = []  # list.append is atomic: the client threads share it

    def call(n: int) -> None:
        request = post_service_pb2.CreatePostRequest(author_id=authors[n % len(authors)], text=POST_TEXT)
        try:
            stub.CreatePost(request, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as exc:
            errors.append(str(exc.code()))

    try:
        for n in range(WARMUP_CALLS):
            call(n)
        warmup_errors = len(errors)
        figure = cpu_per_call(lambda n: call(WARMUP_CALLS + n), calls, lambda: cpu_s(write_pid))
    finally:
        channel.close()
    return {
        "create_post_cpu_us": figure,
        "create_post_calls": calls,
        "create_post_errors": len(errors) - warmup_errors,
        "create_post_created": WARMUP_CALLS + calls - len(errors),  # their events are on their way to the worker
    }


def events_applied(metrics_url: str) -> float:
    """Events a fan-out worker has applied so far, every type together."""
    return sum(v for (name, _), v in scrape(metrics_url).items() if name == EVENTS_APPLIED)


def wait_until_applied(metrics_url: str, events: float, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Block until the worker has applied `events` events (polling its /metrics), or raise TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while events_applied(metrics_url) < events:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the fan-out worker did not apply {events:.0f} events within {timeout_s:.0f} s")
        time.sleep(DRAIN_POLL_S)
