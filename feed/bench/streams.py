"""Live streams in the bench: publish-to-stream latency under the mixed load, memory per idle stream.

Latency: the sampled followers (SAMPLE_FOLLOWERS) of each probe author of up to 1,000
followers hold a WatchHomeTimeline stream each, opened at their first page's
prev_page_token (so nothing is missed between open and live); a probe is one
CreatePost, and it is visible once it arrived on all of its author's sampled
followers' streams. Memory: the read process's resident set before and after a
separate client process opened IDLE_STREAMS idle streams with grpc.aio over a few
channels, divided by their number (all on ONE read process; the count of open
streams is read from its feed_streams_open gauge).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import grpc

from feed.bench.channels import keys_of, post_stub
from feed.bench.graph import Author
from feed.bench.visibility import GIVE_UP_S, sample_followers
from feed.loadkit.stats import summarize
from feed.loadkit.tokens import TokenProvider
from feed.telemetry.scrape import scrape, value
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc, post_service_pb2

IDLE_STREAMS = 10_000
IDLE_CHANNELS = 10  # HTTP/2 connections the idle streams share
OPEN_TIMEOUT_S = 180.0
TARGET_SIZES = (100, 1000)


def rss_kib(pid: int) -> int:
    """A process's resident set (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


METRICS_TIMEOUT_S = 15.0  # the read process answers /metrics between 10,000 streams' work: slow on a busy machine


def open_streams(metrics_url: str) -> float:
    return value(scrape(metrics_url, timeout_s=METRICS_TIMEOUT_S), "feed_streams_open")


class Arrivals:
    """Streams of some users read on threads: when each post id arrived on each user's stream."""

    def __init__(self, addr: str, tokens: TokenProvider, users: list[int]) -> None:
        self._seen: dict[int, dict[int, float]] = defaultdict(dict)
        self._changed = threading.Condition()
        self._channel = grpc.insecure_channel(addr)
        stub = feed_service_pb2_grpc.FeedServiceStub(self._channel)
        self._calls = []
        for user in users:
            metadata = tokens.metadata(user)
            page = stub.GetHomeTimeline(
                feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=1), metadata=metadata
            )
            request = feed_service_pb2.WatchHomeTimelineRequest(user_id=user, page_token=page.prev_page_token)
            call = stub.WatchHomeTimeline(request, metadata=metadata)
            self._calls.append(call)
            threading.Thread(target=self._read, args=(user, call), daemon=True).start()

    def _read(self, user: int, call) -> None:
        try:
            for event in call:
                if event.HasField("post"):
                    with self._changed:
                        self._seen[event.post.post_id][user] = time.monotonic()
                        self._changed.notify_all()
        except grpc.RpcError:
            pass  # cancelled at the end of the phase

    def wait_all(self, post_id: int, users: list[int], started: float) -> float:
        """Seconds from started until post_id arrived on every user's stream (inf after GIVE_UP_S)."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self._seen[post_id]) >= len(users), GIVE_UP_S)
            if not done:
                return float("inf")
            return max(self._seen.pop(post_id).values()) - started

    def close(self) -> None:
        for call in self._calls:
            call.cancel()
        self._channel.close()


def run_stream_probes(
    write_addr: str,
    stream_addr: str,
    tokens: TokenProvider,
    probes: dict[int, list[Author]],
    users: int,
    duration_s: float,
    every_s: float,
) -> list[float]:
    """Probe round robin over the authors of up to 1,000 followers; latency to every sampled stream."""
    rng = random.Random(11)
    authors = [a for size in TARGET_SIZES for a in probes.get(size, [])]
    followers = {a.author_id: sample_followers(a, users, rng) for a in authors}
    arrivals = Arrivals(stream_addr, tokens, sorted({u for group in followers.values() for u in group}))
    channel, stub = post_stub(write_addr, tokens)
    latencies: list[float] = []
    end = time.monotonic() + duration_s
    try:
        for n, author in zip(itertools.count(), itertools.cycle(authors), strict=False):
            next_at = time.monotonic() + every_s
            if next_at > end:
                break
            started = time.monotonic()
            request = post_service_pb2.CreatePostRequest(author_id=author.author_id, text=f"stream probe {n}")
            try:
                post = stub.CreatePost(request, timeout=5)
            except grpc.RpcError:
                latencies.append(float("inf"))
            else:
                latencies.append(arrivals.wait_all(post.post_id, followers[author.author_id], started))
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        channel.close()
        arrivals.close()
    return latencies


def stream_figures(latencies: list[float]) -> dict[str, Any]:
    lost = sum(1 for s in latencies if s == float("inf"))
    summary = summarize([min(s, GIVE_UP_S) for s in latencies])  # a lost probe is charged in full
    return {
        "stream_visible_p50_ms": summary["p50_ms"],
        "stream_visible_p99_ms": summary["p99_ms"],
        "stream_visible_probes": len(latencies),
        "stream_visible_lost": lost,
    }


def stream_memory(read_pid: int, metrics_url: str, stream_addr: str, secret_file: str, users: int, log: Path) -> dict:
    """The read process's RSS per idle stream, IDLE_STREAMS of them opened by a client process of their own
    (its errors in log)."""
    before = rss_kib(read_pid)
    baseline = open_streams(metrics_url)
    args = [sys.executable, "-m", "feed.bench.streams", stream_addr, secret_file, str(IDLE_STREAMS), str(users)]
    with log.open("w") as errors:
        client = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=errors)
    try:
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while open_streams(metrics_url) < baseline + IDLE_STREAMS:
            if time.monotonic() > deadline or client.poll() is not None:
                raise TimeoutError(f"{IDLE_STREAMS} idle streams did not open; see {log}")
            time.sleep(0.2)  # polling the gauge, at a pace that costs the measured process nothing
        after = rss_kib(read_pid)
    finally:
        client.stdin.close()  # the client closes its streams and exits
        try:
            client.wait(30)
        except subprocess.TimeoutExpired:
            client.kill()
    return {
        "stream_rss_kib_per_stream": round((after - before) / IDLE_STREAMS, 2),
        "stream_rss_kib_before": before,
        "stream_rss_kib_after": after,
        "stream_idle_streams": IDLE_STREAMS,
    }


async def _hold_streams(addr: str, secret_file: str, count: int, users: int) -> None:
    """Hold count idle streams of users 1..count (cycling under users) over IDLE_CHANNELS channels until
    standard input closes; a stream the server ends (it sheds streams opened faster than it takes them)
    is opened again."""
    tokens = TokenProvider(keys_of(secret_file))
    channels = [grpc.aio.insecure_channel(addr) for _ in range(IDLE_CHANNELS)]
    stubs = [feed_service_pb2_grpc.FeedServiceStub(c) for c in channels]
    ended: list[str] = []
    stopping = asyncio.Event()

    async def hold(n: int) -> None:
        user = n % users + 1
        request = feed_service_pb2.WatchHomeTimelineRequest(user_id=user)
        while not stopping.is_set():
            call = stubs[n % IDLE_CHANNELS].WatchHomeTimeline(request, metadata=tokens.metadata(user))
            try:
                async for _ in call:
                    pass
            except grpc.aio.AioRpcError as err:
                if not stopping.is_set():
                    ended.append(err.code().name)
            await asyncio.sleep(0.5)

    holders = []
    for n in range(count):
        holders.append(asyncio.ensure_future(hold(n)))
        if n % 100 == 99:
            await asyncio.sleep(0.01)  # a pace the server takes them at
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it
    stopping.set()
    for holder in holders:
        holder.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    for channel in channels:
        await channel.close()
    if ended:
        print(f"streams opened again after the server ended them: {Counter(ended)}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(_hold_streams(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
