"""The load generator process: open-loop GetHomeTimeline (and optionally CreatePost) calls.

Runs in its own process (`python -m feed.bench.loadgen SPEC_JSON`) so its gRPC
client work does not share a GIL with the read service or with the process
that measures; prints one JSON object per run on stdout. Each call is an
asynchronous gRPC future, so sending never waits for an answer; the load kit's
scheduler sends each when due and its Recorder times each from its due time.
With "cpu_pids" in the spec it also reports the CPU time (from /proc) those
processes and the load generator itself spent from its first call to its last
answer: the window is the load's own, start-up left out.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc

from feed.bench.channels import feed_stub, keys_of, post_stub
from feed.bench.cpu import cpu_s, total_cpu_s
from feed.loadkit.schedule import InFlight, OpenLoopScheduler, at_rate
from feed.loadkit.stats import Recorder
from feed.loadkit.tokens import TokenProvider
from feed.v1 import feed_service_pb2, post_service_pb2

CALL_TIMEOUT_S = 5.0
PAGE_SIZE = 20
MAX_IN_FLIGHT = 20_000  # above any rate times CALL_TIMEOUT_S here: the bound never shapes the load

Send = Callable[[int, float], None]  # (request number, due time)


def _on_done(recorder: Recorder, slots: InFlight, due: float):
    def callback(future: grpc.Future) -> None:
        code = future.code()
        recorder.done(due, "OK" if code == grpc.StatusCode.OK else code.name)
        slots.release()

    return callback


def read_sender(stub, users: list[int], tokens: TokenProvider, recorder: Recorder, slots: InFlight, seed: int) -> Send:
    """send(n, due): one hydrated first page of a random reader's home timeline, as that reader."""
    rng = random.Random(seed)
    call = stub.GetHomeTimeline.future

    def send(_n: int, due: float) -> None:
        user = rng.choice(users)
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=PAGE_SIZE)
        future = call(request, timeout=CALL_TIMEOUT_S, metadata=tokens.metadata(user))
        future.add_done_callback(_on_done(recorder, slots, due))

    return send


def post_sender(stub, authors: list[int], recorder: Recorder, slots: InFlight, seed: int) -> Send:
    """send(n, due): post number n by the next author in turn (round robin spreads per-author limits)."""
    turn = itertools.cycle(random.Random(seed).sample(authors, len(authors)))

    def send(n: int, due: float) -> None:
        request = post_service_pb2.CreatePostRequest(author_id=next(turn), text=f"load post {n}", idempotency_key="")
        stub.CreatePost.future(request, timeout=CALL_TIMEOUT_S).add_done_callback(_on_done(recorder, slots, due))

    return send


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """One run: reads (and posts, when post_rate > 0) at fixed rates for duration_s, each in its own thread."""
    duration = float(spec["duration_s"])
    tokens = TokenProvider(keys_of(spec["secret_file"]), issued_at=spec.get("tokens_issued_at"))
    read_channel, feed = feed_stub(spec["read_addrs"])
    channels = [read_channel]
    loads = {"read": (float(spec["read_rate"]), Recorder(), InFlight(MAX_IN_FLIGHT))}
    senders = {"read": read_sender(feed, spec["readers"], tokens, *loads["read"][1:], 1)}
    if spec.get("post_rate"):
        post_channel, posts = post_stub(spec["write_addr"], tokens)
        channels.append(post_channel)
        loads["post"] = (float(spec["post_rate"]), Recorder(), InFlight(MAX_IN_FLIGHT))
        senders["post"] = post_sender(posts, spec["authors"], *loads["post"][1:], 2)
    starts: dict[str, float] = {}

    def loop(name: str) -> None:
        rate, _, slots = loads[name]
        scheduler = OpenLoopScheduler(time.monotonic, time.sleep, slots)
        starts[name] = scheduler.run(at_rate(rate, duration), senders[name])

    threads = [threading.Thread(target=loop, args=(name,), name=f"openloop-{name}") for name in loads]
    cpu_pids = spec.get("cpu_pids", [])
    cpu_before = total_cpu_s(cpu_pids), cpu_s(os.getpid())
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _, _, slots in loads.values():
        slots.drain(CALL_TIMEOUT_S + 1)  # every call has its deadline within this
    # read once every answer is in, and before the summaries (building the latency lists costs CPU)
    cpu = {"servers_s": total_cpu_s(cpu_pids) - cpu_before[0], "loadgen_s": cpu_s(os.getpid()) - cpu_before[1]}
    results: dict[str, Any] = {"cpu": cpu}
    for name, (rate, recorder, _) in loads.items():
        results[name] = recorder.summary(starts[name], rate)
        if spec.get("keep_latencies"):
            results[name]["latencies_ms"] = recorder.latencies.values_ms()
    for channel in channels:
        channel.close()
    return results


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    print(json.dumps(run(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
