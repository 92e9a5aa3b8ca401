"""What tracing costs, A/B on one stack: a traced and an untraced replica side by side, in turns.

    python -m tests.tracing.cost_ab [--rounds 8] [--calls 2000] [--ratio 0.1] [--base /path/to/other/checkout]

Used for docs/performance.md ("Tracing cost") when the machine is too busy for `feed bench`:
a write and a read replica run with OTEL_* (parentbased_traceidratio at --ratio, exporting to an
OTLP receiver this script starts), another pair without, all on one stack. Rounds alternate which
replica goes first; each sends the same closed-loop calls (GetHomeTimeline pages of 20, or
CreatePost) and reads the replica's CPU from /proc, so load from other work on the machine
falls on both sides alike. Prints CPU microseconds per call, each round and the medians.
With --base, a third pair runs another checkout's code untraced (its PYTHONPATH), so the
untraced path can be compared with the code before tracing existed; with --never, a pair runs
traced with the always_off sampler (every span created, none recorded or exported).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from feed.bench.cpu import cpu_s
from feed.devstack.procs import free_port
from feed.devstack.stack import start_stack
from feed.loadkit.tokens import TokenProvider, authenticated_channel
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc, post_service_pb2, post_service_pb2_grpc
from tests.integration.stack import Client, drained, eventually, isolated_settings, start_feed_process, wait_listening
from tests.tracing.receiver import OtlpReceiver

THREADS = 8
READERS = 200
AUTHORS = 40
POSTS_PER_AUTHOR = 25
TEXT = "a post of about the length people write, with a few words more to make it realistic " * 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=2000, help="per replica and round")
    parser.add_argument("--ratio", type=float, default=0.1)
    parser.add_argument("--base", help="a checkout whose code runs a third, untraced pair")
    parser.add_argument("--never", action="store_true", help="and a pair traced but never sampling (always_off)")
    args = parser.parse_args()
    receiver = OtlpReceiver()
    traced_env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": str(args.ratio),
    }
    data = Path(tempfile.mkdtemp(prefix="tracing-cost-"))
    # Budgets far above the loop's rates: the rate limiter is measured, never refusing.
    settings = isolated_settings(data, write_rate_per_s=1e6, write_burst=10**6, read_rate_per_s=1e6, read_burst=10**6)
    stack = start_stack(settings, data, workers=1)
    try:
        replicas = {}
        sides = [("off", {}), ("on", traced_env)] + ([("base", {"PYTHONPATH": args.base})] if args.base else [])
        if args.never:  # the span machinery without a sampled span: what is left is the export's cost
            sides.append(("never", {**traced_env, "OTEL_TRACES_SAMPLER": "always_off"}))
        for role in ("write", "read"):
            for name, env in sides:
                proc, addr = start_replica_with(stack, role, data / "logs", env)
                replicas[(role, name)] = (proc, addr)
        seed(stack)
        tokens = TokenProvider(stack.keys, lambda u: 0, lambda u: False)
        results = {key: [] for key in replicas}
        for n in range(args.rounds):
            names = [name for name, _ in sides]
            order = names if n % 2 == 0 else names[::-1]
            for role in ("read", "write"):
                for name in order:
                    proc, addr = replicas[(role, name)]
                    results[(role, name)].append(measure(role, proc.pid, addr, tokens, args.calls, n))
            print(n, {f"{r}/{s}": round(v[-1], 1) for (r, s), v in results.items()}, flush=True)
        for (role, name), values in results.items():
            print(f"{role} {name}: median {statistics.median(values):.1f} us CPU per call, all {sorted(values)}")
        print(f"spans received: {len(receiver.spans())}")
    finally:
        for proc, _ in replicas.values():
            proc.stop()
        stack.stop()
        receiver.stop()


def start_replica_with(stack, role: str, log_dir: Path, env: dict[str, str]):
    """A replica of role on the stack's settings plus env; returns (process, HOST:PORT) once it listens."""
    addr = f"127.0.0.1:{free_port()}"
    own = {"FEED_WRITE_ADDR": addr} if role == "write" else {"FEED_READ_ADDR": addr}
    if role == "read":
        own["FEED_STREAM_ADDR"] = f"127.0.0.1:{free_port()}"
    name = f"{role}-{env.get('OTEL_TRACES_SAMPLER', 'base' if env else 'untraced')}"
    proc = start_feed_process(stack, name, ["serve", role], log_dir, **own, **env)
    wait_listening(proc, addr)
    return proc, addr


def seed(stack) -> None:
    """READERS readers following AUTHORS authors with POSTS_PER_AUTHOR posts each, all applied."""
    client = Client(stack.settings.write_addr, stack.settings.read_addr, stack.keys)
    try:
        authors = range(1, AUTHORS + 1)
        readers = range(1000, 1000 + READERS)
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda r: [client.follow(r, a) for a in authors], readers))
            list(pool.map(lambda a: [client.post(a, TEXT) for _ in range(POSTS_PER_AUTHOR)], authors))
        eventually(lambda: drained(stack), timeout_s=120, interval_s=0.5)
    finally:
        client.close()


def measure(role: str, pid: int, addr: str, tokens: TokenProvider, calls: int, round_no: int) -> float:
    """CPU microseconds of the replica at pid per call, over calls closed-loop calls from THREADS threads."""
    channel = authenticated_channel(addr, tokens)
    if role == "read":
        stub = feed_service_pb2_grpc.FeedServiceStub(channel)

        def call(i: int) -> None:
            user = 1000 + i % READERS
            page = stub.GetHomeTimeline(feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=20))
            assert len(page.posts) == 20
    else:
        stub = post_service_pb2_grpc.PostServiceStub(channel)

        def call(i: int) -> None:
            author = 1 + i % AUTHORS
            key = f"{pid}-{round_no}-{i}"
            stub.CreatePost(post_service_pb2.CreatePostRequest(author_id=author, text=TEXT, idempotency_key=key))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(call, range(min(200, calls))))  # warm: connections, caches
        cpu0 = cpu_s(pid)
        list(pool.map(call, range(calls)))
        spent = cpu_s(pid) - cpu0
    channel.close()
    return spent / calls * 1e6


if __name__ == "__main__":
    main()
