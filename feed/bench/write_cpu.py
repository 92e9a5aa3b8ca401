"""What one CreatePost costs the write service: its CPU time (user + system, from /proc) per call.

A wall-clock rate on a shared two-core machine measures the neighbours as much
as the service; the CPU time the write-service process itself spent over a
fixed number of calls does not, so the figure compares stores (SQLite,
Cassandra) run at different moments. A few client threads call at once, as
clients do, so the service's own concurrency is part of what is measured.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc

from feed.bench.channels import post_stub
from feed.bench.per_core import cpu_s
from feed.bench.prefill import POST_TEXT
from feed.loadkit.tokens import TokenProvider
from feed.v1 import post_service_pb2

WARMUP_CALLS = 20  # the first calls open store sessions and warm caches: not the steady cost
CLIENT_THREADS = 8
CALL_TIMEOUT_S = 10.0


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
        errors.clear()
        figure = cpu_per_call(lambda n: call(WARMUP_CALLS + n), calls, lambda: cpu_s(write_pid))
    finally:
        channel.close()
    return {"create_post_cpu_us": figure, "create_post_calls": calls, "create_post_errors": len(errors)}
