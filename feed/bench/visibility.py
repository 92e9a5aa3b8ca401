"""Publish-to-visible latency under a steady mixed load (posts and reads from another process).

A probe is one CreatePost through the write service by an author of 100, 1,000
or 10,000 followers; it becomes visible when the post id is in the home
timelines of SAMPLE_FOLLOWERS of the author's followers, watched in Redis with
LPOS (what the next read of those timelines would return). Latency runs from
just before the call to the first poll that finds it everywhere.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import defaultdict

import grpc
import redis

from feed.bench.channels import post_stub
from feed.bench.graph import Author
from feed.loadkit.stats import summarize
from feed.loadkit.tokens import TokenProvider
from feed.redis.keys import home_timeline_key
from feed.v1 import post_service_pb2

SAMPLE_FOLLOWERS = 4
POLL_S = 0.002  # the figures' resolution; polling faster would take CPU from what is measured
GIVE_UP_S = 10.0
SEARCH_DEPTH = 100  # the post is among the newest entries; LPOS need not scan a whole timeline


def sample_followers(author: Author, users: int, rng: random.Random) -> list[int]:
    """A few of the author's followers, drawn over the whole follower run."""
    picks = rng.sample(range(author.followers), min(SAMPLE_FOLLOWERS, author.followers))
    return [(author.offset + i) % users + 1 for i in picks]


def wait_visible(client: redis.Redis, post_id: int, followers: list[int], started: float) -> float:
    """Seconds from started until post_id is in every follower's timeline (inf after GIVE_UP_S)."""
    keys = [home_timeline_key(user) for user in followers]
    while time.monotonic() - started < GIVE_UP_S:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.lpos(key, post_id, maxlen=SEARCH_DEPTH)
        if all(index is not None for index in pipe.execute()):
            return time.monotonic() - started
        time.sleep(POLL_S)
    return float("inf")


def run_probes(
    write_addr: str,
    tokens: TokenProvider,
    client: redis.Redis,
    probes: dict[int, list[Author]],
    users: int,
    duration_s: float,
    every_s: float,
) -> dict[int, list[float]]:
    """Probe round robin over the sizes for duration_s, one probe every every_s; latencies per size."""
    channel, stub = post_stub(write_addr, tokens)
    rng = random.Random(7)
    turns = itertools.cycle([(size, author) for size, group in probes.items() for author in group])
    latencies: dict[int, list[float]] = defaultdict(list)
    end = time.monotonic() + duration_s
    try:
        for n in itertools.count():
            next_at = time.monotonic() + every_s
            if next_at > end:
                break
            size, author = next(turns)
            started = time.monotonic()
            request = post_service_pb2.CreatePostRequest(author_id=author.author_id, text=f"probe {n}")
            try:
                post = stub.CreatePost(request, timeout=5)
            except grpc.RpcError:  # the store timed out (a busy machine): a probe never visible, counted lost
                latencies[size].append(float("inf"))
            else:
                followers = sample_followers(author, users, rng)
                latencies[size].append(wait_visible(client, post.post_id, followers, started))
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        channel.close()
    return latencies


def visibility_figures(latencies: dict[int, list[float]], target_sizes: tuple[int, ...] = (100, 1000)) -> dict:
    """Per-size p50/p99, and the headline over authors of up to 1,000 followers (the target's scope)."""
    figures: dict[str, float] = {}
    lost = sum(1 for group in latencies.values() for s in group if s == float("inf"))
    latencies = {size: [min(s, GIVE_UP_S) for s in group] for size, group in latencies.items()}  # lost: charged in full
    for size, samples in sorted(latencies.items()):
        summary = summarize(samples)
        figures[f"visible_p50_ms_{size}"] = summary["p50_ms"]
        figures[f"visible_p99_ms_{size}"] = summary["p99_ms"]
        figures[f"visible_probes_{size}"] = len(samples)
    scoped = [s for size in target_sizes for s in latencies.get(size, [])]
    summary = summarize(scoped)
    figures["visible_p50_ms"] = summary["p50_ms"]
    figures["visible_p99_ms"] = summary["p99_ms"]
    figures["visible_lost"] = lost
    return figures
