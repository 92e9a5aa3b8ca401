"""The machine's own Redis ceiling: pipelined ZADD on random keys, measured by redis-benchmark.

Fan-out throughput is judged against this figure from the same run on the same
machine, so a slow or busy machine moves both numbers together: the runs are
interleaved with the fan-out bursts, against a redis-server of their own
started like the stack's (an empty one: the stack's holds the timelines). Each ZADD
writes one member into one of KEYSPACE small sorted sets: one timeline write
per command, with the command parsing and dispatch a real write pays.
"""

from __future__ import annotations

import csv
import io
import shutil
import statistics
import subprocess

import redis

KEYSPACE = 100_000  # random keys (-r): writes spread like fan-out's over many timelines
PIPELINE = 64  # -P: enough in flight that the client is not what limits Redis
CLIENTS = 50  # -c: redis-benchmark's default
COMMAND = ["zadd", "bench:zadd:__rand_int__", "__rand_int__", "__rand_int__"]


def benchmark_args(port: int, requests: int) -> list[str]:
    """The redis-benchmark command line for one measurement."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        raise RuntimeError("redis-benchmark is not installed (it ships with redis-server: apt-get install redis-tools)")
    connection = ["-h", "127.0.0.1", "-p", str(port)]
    load = ["-n", str(requests), "-r", str(KEYSPACE), "-P", str(PIPELINE), "-c", str(CLIENTS)]
    return [binary, *connection, *load, "--csv", *COMMAND]


def parse_rps(csv_text: str) -> float:
    """Requests per second from redis-benchmark --csv output (header row, then one row per test)."""
    rows = list(csv.DictReader(io.StringIO(csv_text.strip())))
    if not rows or "rps" not in rows[-1]:
        raise ValueError(f"no rps in redis-benchmark output: {csv_text[:200]!r}")
    return float(rows[-1]["rps"])


def ceiling_once(client: redis.Redis, port: int, requests: int) -> float:
    """One redis-benchmark run on an emptied Redis (flushed before and after, so every run starts alike)."""
    client.flushall()
    done = subprocess.run(benchmark_args(port, requests), capture_output=True, text=True, timeout=300, check=True)
    client.flushall()
    return parse_rps(done.stdout)


def ceiling_figures(results: list[float]) -> dict[str, float]:
    """The median run (the figure fan-out is judged against) and the spread."""
    return {
        "redis_zadd_ceiling_per_s": round(statistics.median(results)),
        "redis_zadd_ceiling_min_per_s": round(min(results)),
        "redis_zadd_ceiling_max_per_s": round(max(results)),
    }
