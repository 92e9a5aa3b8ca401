"""Fan-out throughput on a local Redis Cluster against one redis-server, on the same machine.

    python -m feed.bench.cluster_fanout [--users 50000] [--followers 500] [--posts 40] [--batches 12]

Both targets are started here (feed.devstack.local) and given the same work, the
way a fan-out worker applies a batch: `--posts` posts, each to `--followers`
random users, pushed with RedisTimelineStore.push (one function call per shard
group of timelines, all calls of a batch pipelined: on the cluster, split per
node and written to every node before any answer is read). Timelines start
full, with 800 to 999 entries spread by shard, so pushes trim in turn as in
steady state. Reported per target: deliveries per second (median batch), the
client's and Redis's CPU seconds per million deliveries, and Redis bytes per
timeline entry; then the cluster's throughput as a fraction of the single node's.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from redis.cluster import RedisCluster

from feed.devstack.local import start_redis, start_redis_cluster
from feed.devstack.procs import ManagedProcess
from feed.ids import IdGenerator
from feed.redis.connection import RedisClient, RedisFunctions, connect
from feed.redis.keys import TIMELINE_MAX, TIMELINE_SHARDS, TIMELINE_SLACK, home_timeline_key
from feed.timeline.store import RedisTimelineStore

PIPELINE_COMMANDS = 5_000  # per round trip while filling: bounded client memory
WARMUP_BATCHES = 2  # first batches pay connection setup and slot-map loading


def shard_lists(ids: IdGenerator, users: int) -> dict[int, list[int]]:
    """One full timeline per shard users 1..users fall in, newest first: 800 to 999 entries,
    spread so trims spread over the run."""
    return {
        shard: sorted((ids.next_id() for _ in range(TIMELINE_MAX + shard % TIMELINE_SLACK)), reverse=True)
        for shard in range(min(users + 1, TIMELINE_SHARDS))
    }


def fill(client: RedisClient, users: int, lists: dict[int, list[int]]) -> None:
    """Give users 1..users full timelines: each shard's list built once, copied to the shard's users.

    COPY keeps source and copy in one hash slot (the shard's tag), so it works on a cluster.
    """
    store = RedisTimelineStore(RedisFunctions(client), TIMELINE_MAX)
    for shard, posts in lists.items():
        seed = shard or TIMELINE_SHARDS  # user 0 does not exist: shard 0's first user is 1024
        if seed <= users:
            store.begin_rebuild(seed)
            store.finish_rebuild(seed, posts, complete=False)
    pipe = client.pipeline(transaction=False)
    for user in range(1, users + 1):
        seed = user % TIMELINE_SHARDS or TIMELINE_SHARDS
        if user != seed:
            pipe.copy(home_timeline_key(seed), home_timeline_key(user), replace=True)
        if len(pipe) >= PIPELINE_COMMANDS:
            pipe.execute()
    pipe.execute()


def batches(users: int, followers: int, posts: int, count: int, ids: IdGenerator, seed: int = 10) -> list[list]:
    """count batches of deliveries: posts new posts, each to followers distinct random users."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        batch = []
        for _ in range(posts):
            post = ids.next_id()
            batch += [(user, post) for user in rng.sample(range(1, users + 1), followers)]
        out.append(batch)
    return out


def redis_cpu_s(client: RedisClient) -> float:
    """CPU seconds every Redis process (each primary of a cluster) has used so far."""
    nodes = client.get_primaries() if isinstance(client, RedisCluster) else [None]
    total = 0.0
    for node in nodes:
        info = node.redis_connection.info("cpu") if node else client.info("cpu")
        total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return total


def bytes_per_entry(client: RedisClient, users: int, sample: int = 300) -> float:
    """Redis memory of a random sample of timelines (MEMORY USAGE, exact) over their entries."""
    used = entries = 0
    for user in random.Random(3).sample(range(1, users + 1), min(sample, users)):
        key = home_timeline_key(user)
        used += client.memory_usage(key, samples=0) or 0
        entries += client.llen(key)
    return used / entries


def measure(client: RedisClient, work: list[list], users: int) -> dict[str, float]:
    """Push every batch through RedisTimelineStore; figures from the batches after the warm-up."""
    store = RedisTimelineStore(RedisFunctions(client), TIMELINE_MAX)
    rates, deliveries = [], 0
    client_cpu = redis_cpu = 0.0
    for n, batch in enumerate(work):
        cpu0, redis0, t0 = _client_cpu_s(), redis_cpu_s(client), time.perf_counter()
        landed = store.push(batch)
        elapsed = time.perf_counter() - t0
        if landed != len(batch):
            raise AssertionError(f"{landed} of {len(batch)} deliveries landed: timelines missing?")
        if n >= WARMUP_BATCHES:
            rates.append(len(batch) / elapsed)
            deliveries += len(batch)
            client_cpu += _client_cpu_s() - cpu0
            redis_cpu += redis_cpu_s(client) - redis0
    return {
        "deliveries_per_s": round(statistics.median(rates)),
        "client_cpu_s_per_million": round(client_cpu / deliveries * 1e6, 2),
        "redis_cpu_s_per_million": round(redis_cpu / deliveries * 1e6, 2),
        "bytes_per_timeline_entry": round(bytes_per_entry(client, users), 2),
    }


def _client_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(users: int, followers: int, posts: int, count: int, masters: int, log_dir: Path) -> dict[str, Any]:
    """Start both targets, give them the same work, stop them; return the figures of each."""
    ids = IdGenerator(node=7)
    figures: dict[str, Any] = {"users": users, "deliveries_per_batch": followers * posts, "masters": masters}
    starts = {"single": lambda: _single(log_dir), "cluster": lambda: start_redis_cluster(log_dir, masters)}
    lists = shard_lists(ids, users)
    work = batches(users, followers, posts, count, ids)  # newer than every filled id: the common case
    for target, start in starts.items():
        processes, url = start()
        try:
            client = connect(url)
            fill(client, users, lists)
            figures[target] = measure(client, work, users)
            client.close()
        finally:
            for proc in processes:
                proc.stop()
    figures["cluster_over_single"] = round(
        figures["cluster"]["deliveries_per_s"] / figures["single"]["deliveries_per_s"], 2
    )
    return figures


def _single(log_dir: Path) -> tuple[list[ManagedProcess], str]:
    proc, url = start_redis(log_dir)
    return [proc], url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feed.bench.cluster_fanout", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000, help="timelines, all full (default 50000)")
    parser.add_argument("--followers", type=int, default=500, help="deliveries per post (default 500)")
    parser.add_argument("--posts", type=int, default=40, help="posts per batch (default 40)")
    parser.add_argument("--batches", type=int, default=12, help=f"batches, {WARMUP_BATCHES} of them warm-up")
    parser.add_argument("--masters", type=int, default=3, help="cluster primaries (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.batches <= WARMUP_BATCHES:
        parser.error(f"--batches must be above {WARMUP_BATCHES}")
    with tempfile.TemporaryDirectory(prefix="feed-cluster-bench-") as tmp:
        figures = run(args.users, args.followers, args.posts, args.batches, args.masters, Path(tmp))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
