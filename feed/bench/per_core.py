"""Per-core figures for the capacity model (docs/capacity.md), from the real processes' CPU time.

    python -m feed.bench.per_core [--users 20000] [--followers 1000] [--posts 60] [--redis-cluster 3]

Starts the stack the way `feed up` does (one fan-out worker), seeds the store
(through its bulk loads) and full Redis timelines directly, then measures three things, each as
work done per CPU second of the process doing it (read from /proc, so a load
generator on the same small machine does not distort them):

- writes: CreatePost calls per write-service CPU second;
- fan-out: deliveries per worker CPU second (and per Redis CPU second), the
  posts' events queued while the worker is frozen, then drained at full speed;
- reads: GetHomeTimeline pages of 20 per read-service CPU second (and per Redis
  CPU second), closed loop; with --celebrities K every page also merges the
  lists of K authors above the celebrity threshold that every reader follows, and
  with --groups G those of G read-time groups every reader is a member of (as
  feed/bench/merge_reads.py sets them up: --celebrities 5 --groups 2 is its reader).
  With either, the newest INTERLEAVED posts of every list alternate with the home
  timelines' newest, so a page is about half home timeline, half read-time posts.

--compare DIR also starts a read service running the code at DIR (PYTHONPATH=DIR: another
worktree, say main before a change) beside this one, on the same Redis and store, and
measures the two in turn, --rounds times: on a shared, noisy machine only ratios taken
this close together, interleaved, say which is cheaper (docs/performance.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from feed.bench.cluster_fanout import fill, redis_cpu_s
from feed.bench.cpu import cpu_s
from feed.bench.open_loop_reads import open_loop_reads
from feed.bench.terminate import main_stopping_on_sigterm
from feed.config import Settings
from feed.devstack.local import start_redis_cluster
from feed.devstack.procs import ManagedProcess, free_port, start_feed, stop_all, wait_until_listening
from feed.devstack.stack import Stack, start_stack
from feed.domain import OPEN, REGULAR, Group, Post, Source
from feed.ids import IdGenerator
from feed.loadkit.tokens import TokenProvider, authenticated_channel
from feed.redis.connection import RedisClient, RedisFunctions, connect
from feed.redis.keys import TIMELINE_MAX, TIMELINE_SHARDS, TIMELINE_SLACK
from feed.store import open_store
from feed.telemetry.scrape import scrape, value
from feed.timeline.sources import RedisReadTimeSources
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc, post_service_pb2, post_service_pb2_grpc

AUTHOR_BASE = 1_000_000_000  # fan-out authors: above every user id
PREFILL_AUTHOR = 2_000_000_000  # the author of every post that fills the timelines; every user follows them
CELEBRITY_BASE = 3_000_000_000  # authors above the threshold, followed by every user, merged at read time
CELEBRITY_POSTS = 100  # in each celebrity's (and read-time group's) list
GROUP_POSTER_BASE = 3_500_000_000  # one posting member per read-time group
INTERLEAVED = 40  # newest posts of each read-time list that alternate with the home timelines' newest
TEXT = "a post of about the length people write, with a few words more to make it realistic " * 2
CLIENT_THREADS = 16
WARM_S = 2.0  # the least a read measurement warms up: connections, post cache
WARM_MAX_S = 120.0  # the most: a slow machine measures with some readers' guard facts still cold


@dataclasses.dataclass(frozen=True)
class Plan:
    users: int = 20_000
    followers: int = 1_000  # of each fan-out author
    posts: int = 60  # fan-out posts, one per author
    read_seconds: float = 10.0
    redis_masters: int = 0  # 0: one redis-server
    celebrities: int = 0  # followed by every reader: each page merges their lists
    rounds: int = 1  # with --compare: read measurements of each service, interleaved
    groups: int = 0  # read-time groups every reader is a member of: each page merges their lists too
    rate: float = 0  # reads offered per second once warm (open loop, feed/bench/open_loop_reads.py); 0: closed loop


Listed = list[tuple[Source, Post]]  # the read-time lists' posts, oldest first


def read_time_posts(plan: Plan, ids: IdGenerator, now_ms: int) -> tuple[list[int], Listed]:
    """The prefill ids (newest first) and CELEBRITY_POSTS posts of each read-time source (oldest first): the
    newest INTERLEAVED of every list alternate with the newest prefill ids, so that a page merges both."""
    home = TIMELINE_MAX + TIMELINE_SLACK
    sources = [Source(author_id=CELEBRITY_BASE + n) for n in range(plan.celebrities)]
    sources += [Source(group_id=ids.next_id()) for _ in range(plan.groups)]
    if not sources:
        return sorted((ids.next_id() for _ in range(home)), reverse=True), []
    prefill = [ids.next_id() for _ in range(home - INTERLEAVED)]
    listed: Listed = []
    for n in range(CELEBRITY_POSTS):
        if n >= CELEBRITY_POSTS - INTERLEAVED:
            prefill.append(ids.next_id())
        for k, source in enumerate(sources):
            author = source.author_id or GROUP_POSTER_BASE + k
            listed.append((source, Post(ids.next_id(), author, TEXT, now_ms, group_id=source.group_id)))
    return sorted(prefill, reverse=True), listed


def seed_store(store_url: str, plan: Plan, prefill: list[int], listed: Listed) -> None:
    """The follow graph, the read-time groups and the posts, through the store's bulk loads."""
    store = open_store(store_url)  # the schema, exactly as the services create it
    try:
        users = range(1, plan.users + 1)
        edges = [(u, PREFILL_AUTHOR) for u in users]
        for n in range(plan.posts):
            start = n * plan.users // plan.posts  # follower runs spread over the users (and shards)
            edges += [((start + i) % plan.users + 1, AUTHOR_BASE + n) for i in range(plan.followers)]
        sources = dict.fromkeys(s for s, _ in listed)
        edges += [(u, s.author_id) for s in sources if s.author_id for u in users]
        store.graph.load_follows(edges)
        posters = {s.group_id: p.author_id for s, p in listed if s.group_id}
        store.orgs.load_bindings((poster, 0) for poster in posters.values())
        for group, poster in posters.items():
            store.orgs.create_group(Group(group, 0, f"per-core group {group}", OPEN, REGULAR, poster, 0))
            for member in [poster, *users]:
                store.orgs.add_member(group, member)
        store.posts.load_posts(Post(p, PREFILL_AUTHOR, TEXT, 1_700_000_000_000) for p in prefill)
        store.posts.load_posts(post for _, post in listed)
    finally:
        store.close()


def measure_writes(stack: Stack, tokens: TokenProvider, plan: Plan) -> dict[str, float]:
    """Create one post per fan-out author through the write service, events left queued."""
    write = stack.process("write service")
    channel = authenticated_channel(stack.settings.write_addr, tokens)
    stub = post_service_pb2_grpc.PostServiceStub(channel)
    requests = [
        post_service_pb2.CreatePostRequest(author_id=AUTHOR_BASE + n, text=TEXT, idempotency_key=f"bench-{n}")
        for n in range(plan.posts)
    ]
    cpu0, t0 = cpu_s(write.pid), time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(lambda r: stub.CreatePost(r, timeout=30), requests))
    elapsed, cpu = time.monotonic() - t0, cpu_s(write.pid) - cpu0
    channel.close()
    return {"posts_per_s": round(plan.posts / elapsed), "posts_per_write_cpu_s": round(plan.posts / cpu)}


def measure_fanout(stack: Stack, redis: RedisClient, plan: Plan, posting) -> dict[str, float]:
    """Freeze the worker, post, thaw it: deliveries per worker CPU second while it drains the queue."""
    worker = stack.process("fan-out worker 1")
    expected = plan.posts * plan.followers
    before = value(scrape(worker.metrics_url), "feed_fanout_deliveries_total")
    worker.signal(signal.SIGSTOP)
    try:
        figures = posting()
    finally:
        worker.signal(signal.SIGCONT)
    cpu0, redis0, t0 = cpu_s(worker.pid), redis_cpu_s(redis), time.monotonic()
    while value(scrape(worker.metrics_url), "feed_fanout_deliveries_total") < before + expected:
        if time.monotonic() - t0 > 300:
            raise TimeoutError("the worker did not deliver every post within 300 s")
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    cpu, redis_cpu = cpu_s(worker.pid) - cpu0, redis_cpu_s(redis) - redis0
    return {
        **figures,
        "deliveries": expected,
        "deliveries_per_s": round(expected / elapsed),
        "deliveries_per_worker_cpu_s": round(expected / cpu),
        "deliveries_per_redis_cpu_s": round(expected / redis_cpu) if redis_cpu else None,
    }


def measure_reads(
    read: ManagedProcess, addr: str, redis: RedisClient, tokens: TokenProvider, plan: Plan
) -> dict[str, float]:
    """Closed-loop GetHomeTimeline (20 posts a page) over every user for read_seconds, served by read at addr."""
    channel = authenticated_channel(addr, tokens)
    stub = feed_service_pb2_grpc.FeedServiceStub(channel)
    done = threading.Event()
    counts = [0] * CLIENT_THREADS

    def reader(n: int) -> None:
        user = n + 1
        while not done.is_set():
            page = stub.GetHomeTimeline(feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=20))
            if len(page.posts) != 20:
                raise AssertionError(f"user {user} got {len(page.posts)} posts")
            counts[n] += 1
            user = (user + CLIENT_THREADS - 1) % plan.users + 1

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    # Warm: connections, the post cache, and every reader's guard facts (feed/read/guard_cache.py), as a
    # server that has served its readers before has them: each client thread reads its readers once.
    one_pass, t0 = -(-plan.users // CLIENT_THREADS), time.monotonic()
    while time.monotonic() - t0 < WARM_S or (min(counts) < one_pass and time.monotonic() - t0 < WARM_MAX_S):
        time.sleep(0.1)
    if plan.rate:  # open loop from here (feed/bench/open_loop_reads.py), the readers warm
        done.set()
        for thread in threads:
            thread.join(10)
        figures = open_loop_reads(read, stub, redis, plan.users, plan.rate, plan.read_seconds)
        channel.close()
        return figures
    start_count, cpu0, redis0, t0 = sum(counts), cpu_s(read.pid), redis_cpu_s(redis), time.monotonic()
    time.sleep(plan.read_seconds)
    reads, elapsed, cpu = sum(counts) - start_count, time.monotonic() - t0, cpu_s(read.pid) - cpu0
    redis_cpu = redis_cpu_s(redis) - redis0
    done.set()
    for thread in threads:
        thread.join(10)
    channel.close()
    return {
        "reads_per_s": round(reads / elapsed),
        "reads_per_read_cpu_s": round(reads / cpu),
        "reads_per_redis_cpu_s": round(reads / redis_cpu) if redis_cpu else None,
    }


def start_compared(stack: Stack, code_dir: Path, data_dir: Path) -> tuple[ManagedProcess, str]:
    """A second read service, of the code at code_dir, on the stack's Redis and store; its address."""
    if (Path.cwd() / "feed").is_dir():  # `python -m` puts the working directory before PYTHONPATH
        raise SystemExit("--compare: run from a directory without a feed package, with PYTHONPATH=this code")
    addr = f"127.0.0.1:{free_port()}"
    env = {**stack.settings.env(), "FEED_READ_ADDR": addr, "FEED_STREAM_ADDR": f"127.0.0.1:{free_port()}"}
    env["PYTHONPATH"] = str(code_dir)
    proc = start_feed("read service (compared)", ["serve", "read"], data_dir / "logs" / "read-compared.log", env)
    wait_until_listening(addr, 60, proc, None)
    return proc, addr


def compare_reads(stack: Stack, redis: RedisClient, tokens: TokenProvider, plan: Plan, code_dir: Path, data_dir: Path):
    """This code's read service and code_dir's, measured in turn for plan.rounds rounds."""
    other, other_addr = start_compared(stack, code_dir, data_dir)
    this = stack.process("read service")
    rounds: list[dict[str, Any]] = []
    try:
        for n in range(plan.rounds):  # the first of a pair alternates: neither always follows the other
            if n % 2:
                old = measure_reads(other, other_addr, redis, tokens, plan)
                new = measure_reads(this, stack.settings.read_addr, redis, tokens, plan)
            else:
                new = measure_reads(this, stack.settings.read_addr, redis, tokens, plan)
                old = measure_reads(other, other_addr, redis, tokens, plan)
            ratio = new["reads_per_read_cpu_s"] / old["reads_per_read_cpu_s"]
            rounds.append({"this": new, "compared": old, "pages_per_cpu_s_ratio": round(ratio, 3)})
    finally:
        other.stop()
    return {"compared_with": str(code_dir), "rounds": rounds}


def run(plan: Plan, data_dir: Path, compare: Path | None = None) -> dict[str, Any]:
    """Seed, start, measure writes with fan-out, then reads (or compare them); stop everything."""
    prefill, listed = read_time_posts(plan, IdGenerator(node=9), int(time.time() * 1000))
    store_url = f"sqlite:///{data_dir / 'feed.db'}"
    seed_store(store_url, plan, prefill, listed)
    redis_nodes: list[ManagedProcess] = []
    redis_url = ""
    if plan.redis_masters:
        redis_nodes, redis_url = start_redis_cluster(data_dir, plan.redis_masters)
    settings = dataclasses.replace(
        Settings.from_env({}),
        store_url=store_url,
        redis_url=redis_url,
        jwt_secret_file=str(data_dir / "jwt.secret"),
        write_addr=f"127.0.0.1:{free_port()}",
        read_addr=f"127.0.0.1:{free_port()}",
        stream_addr=f"127.0.0.1:{free_port()}",
        celebrity_threshold=10 * plan.followers,  # every bench author is fanned out on write
        write_rate_per_s=0,  # no rate limit: the bench posts as fast as it can
    )
    stack = start_stack(settings, data_dir, workers=1)
    try:
        redis = connect(stack.settings.redis_url)
        fill(redis, plan.users, {s: prefill[: TIMELINE_MAX + s % TIMELINE_SLACK] for s in range(TIMELINE_SHARDS)})
        RedisReadTimeSources(RedisFunctions(redis), TIMELINE_MAX).push([(s, p.post_id) for s, p in listed])
        tokens = TokenProvider(stack.keys)
        figures: dict[str, Any] = {"plan": dataclasses.asdict(plan)}
        figures["fanout"] = measure_fanout(stack, redis, plan, lambda: measure_writes(stack, tokens, plan))
        if compare is not None:
            figures["reads"] = compare_reads(stack, redis, tokens, plan, compare, data_dir)
        else:
            read = stack.process("read service")
            figures["reads"] = measure_reads(read, stack.settings.read_addr, redis, tokens, plan)
        return figures
    finally:
        stack.stop()
        stop_all(redis_nodes)


def main(argv: list[str] | None = None) -> int:
    return main_stopping_on_sigterm(lambda: _main(argv), "per_core")


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feed.bench.per_core", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=Plan.users)
    parser.add_argument("--followers", type=int, default=Plan.followers, help="of each posting author")
    parser.add_argument("--posts", type=int, default=Plan.posts, help="posts, each by its own author")
    parser.add_argument("--read-seconds", type=float, default=Plan.read_seconds)
    parser.add_argument("--redis-cluster", type=int, default=0, metavar="MASTERS", help="a local cluster, not one node")
    parser.add_argument("--celebrities", type=int, default=0, help="authors every reader follows, merged at read time")
    parser.add_argument("--groups", type=int, default=0, help="groups every reader is in, merged at read time")
    parser.add_argument("--rate", type=float, default=0, help="reads offered per second (open loop); 0: closed loop")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="also a read service of the code at DIR")
    parser.add_argument("--rounds", type=int, default=Plan.rounds, help="with --compare: rounds of each, in turn")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    plan = Plan(
        args.users,
        args.followers,
        args.posts,
        args.read_seconds,
        args.redis_cluster,
        args.celebrities,
        args.rounds,
        args.groups,
        args.rate,
    )
    with tempfile.TemporaryDirectory(prefix="feed-per-core-") as tmp:
        figures = run(plan, Path(tmp), args.compare)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
