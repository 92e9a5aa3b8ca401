"""per_core's open-loop read measurement (`--rate R`): pages sent at a fixed rate, as `feed bench` sends them.

A closed loop keeps the read service's threads busy, so each call finds the others running and
few threads sleep; at a fixed offered rate below saturation each call arrives alone and pays the
hand-offs and wake-ups of an idle server. Both are worth comparing across versions: this one is
what `feed bench`'s read figures see, measured here beside a second read service (`--compare`).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import grpc

from feed.bench.cluster_fanout import redis_cpu_s
from feed.bench.cpu import cpu_s
from feed.devstack.procs import ManagedProcess
from feed.loadkit.schedule import InFlight, OpenLoopScheduler, at_rate
from feed.redis.connection import RedisClient
from feed.v1 import feed_service_pb2

CALL_TIMEOUT_S = 5.0
MAX_IN_FLIGHT = 50_000  # above any rate times CALL_TIMEOUT_S here: the bound never shapes the load


def open_loop_reads(
    read: ManagedProcess, stub: Any, redis: RedisClient, users: int, rate: float, seconds: float
) -> dict[str, Any]:
    """First pages of users 1..users in turn at rate for seconds: pages served (OK) per read-service CPU s."""
    slots, lock = InFlight(MAX_IN_FLIGHT), threading.Lock()
    answers = {"ok": 0, "failed": 0}
    call = stub.GetHomeTimeline.future

    def answered(future: grpc.Future) -> None:
        with lock:
            answers["ok" if future.code() == grpc.StatusCode.OK else "failed"] += 1
        slots.release()

    def send(n: int, _due: float) -> None:
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=n % users + 1, page_size=20)
        call(request, timeout=CALL_TIMEOUT_S).add_done_callback(answered)

    cpu0, redis0, t0 = cpu_s(read.pid), redis_cpu_s(redis), time.monotonic()
    OpenLoopScheduler(time.monotonic, time.sleep, slots).run(at_rate(rate, seconds), send)
    slots.drain(CALL_TIMEOUT_S + 1)
    elapsed, cpu, redis_cpu = time.monotonic() - t0, cpu_s(read.pid) - cpu0, redis_cpu_s(redis) - redis0
    return {
        "offered_rps": rate,
        "reads_per_s": round(answers["ok"] / elapsed),
        "failed": answers["failed"],
        "reads_per_read_cpu_s": round(answers["ok"] / cpu),
        "read_cpu_us_per_page": round(cpu / max(answers["ok"], 1) * 1e6, 1),
        "reads_per_redis_cpu_s": round(answers["ok"] / redis_cpu) if redis_cpu else None,
    }
