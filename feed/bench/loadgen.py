"""The load generator process: open-loop GetHomeTimeline (and optionally CreatePost) calls.

Runs in its own process (`python -m feed.bench.loadgen SPEC_JSON`) so its gRPC
client work does not share a GIL with the read service or with the process
that measures; prints one JSON object per run on stdout. Each call is an
asynchronous gRPC future, so sending never waits for an answer.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc

from feed.bench.channels import Metadata, bearer_metadata, feed_stub, keys_of, post_stub
from feed.bench.openloop import Recorder, run_open_loop
from feed.v1 import feed_service_pb2, post_service_pb2

CALL_TIMEOUT_S = 5.0
PAGE_SIZE = 20


def _on_done(recorder: Recorder, due: float):
    def callback(future: grpc.Future) -> None:
        code = future.code()
        recorder.done(due, "OK" if code == grpc.StatusCode.OK else code.name)

    return callback


def read_sender(stub, users: list[int], metadata_of: Callable[[int], Metadata], recorder: Recorder, seed: int):
    """send(due): one hydrated first page of a random reader's home timeline, as that reader."""
    rng = random.Random(seed)
    call = stub.GetHomeTimeline.future

    def send(due: float) -> None:
        user = rng.choice(users)
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=PAGE_SIZE)
        call(request, timeout=CALL_TIMEOUT_S, metadata=metadata_of(user)).add_done_callback(_on_done(recorder, due))

    return send


def post_sender(stub, authors: list[int], recorder: Recorder, seed: int):
    """send(due): one post by the next author in turn (round robin spreads per-author limits)."""
    turn = itertools.cycle(random.Random(seed).sample(authors, len(authors)))
    counter = itertools.count()

    def send(due: float) -> None:
        request = post_service_pb2.CreatePostRequest(
            author_id=next(turn), text=f"load post {next(counter)}", idempotency_key=""
        )
        stub.CreatePost.future(request, timeout=CALL_TIMEOUT_S).add_done_callback(_on_done(recorder, due))

    return send


def wait_for_answers(recorder: Recorder, expected: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while recorder.completed() < expected and time.monotonic() < deadline:
        time.sleep(0.01)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """One run: reads (and posts, when post_rate > 0) at fixed rates for duration_s, each in its own thread."""
    duration = float(spec["duration_s"])
    keys = keys_of(spec["secret_file"])
    read_channel, feed = feed_stub(spec["read_addrs"])
    channels = [read_channel]
    loads = {"read": (float(spec["read_rate"]), Recorder())}
    metadata_of = bearer_metadata(keys, spec.get("tokens_issued_at"))
    senders = {"read": read_sender(feed, spec["readers"], metadata_of, loads["read"][1], 1)}
    if spec.get("post_rate"):
        post_channel, posts = post_stub(spec["write_addr"], keys)
        channels.append(post_channel)
        loads["post"] = (float(spec["post_rate"]), Recorder())
        senders["post"] = post_sender(posts, spec["authors"], loads["post"][1], 2)
    starts: dict[str, float] = {}

    def loop(name: str) -> None:
        starts[name] = run_open_loop(senders[name], loads[name][0], duration)

    threads = [threading.Thread(target=loop, args=(name,), name=f"openloop-{name}") for name in loads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results: dict[str, Any] = {}
    for name, (rate, recorder) in loads.items():
        wait_for_answers(recorder, int(rate * duration), CALL_TIMEOUT_S + 1)
        results[name] = recorder.summary(starts[name], rate)
        if spec.get("keep_latencies"):
            results[name]["latencies_ms"] = [round(s * 1000, 3) for s in recorder.latencies]
    for channel in channels:
        channel.close()
    return results


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    print(json.dumps(run(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
