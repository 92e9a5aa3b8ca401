"""`feed up`: the whole stack on one machine, on embedded defaults, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from feed.config import Settings
from feed.devstack.stack import CHILD_POLL_S, describe, start_stack


def main(argv: list[str], stop: threading.Event) -> int:
    parser = argparse.ArgumentParser(prog="feed up", description="Run the whole stack locally.")
    parser.add_argument("--workers", type=int, default=2, help="fan-out worker processes (default 2)")
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="logs and the SQLite file (default var/)")
    parser.add_argument(
        "--redis-cluster",
        type=int,
        default=0,
        metavar="MASTERS",
        help="start a local Redis Cluster of MASTERS primaries (>= 3) instead of one redis-server",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run Apache Kafka and Apache Cassandra (from Maven Central) instead of Tansu and SQLite",
    )
    args = parser.parse_args(argv)
    if args.redis_cluster and args.redis_cluster < 3:
        parser.error("--redis-cluster needs at least 3 primaries")
    settings = Settings.from_env()
    stack = start_stack(settings, args.data_dir, args.workers, redis_masters=args.redis_cluster, full=args.full)
    print(describe(stack), flush=True)
    exit_code = 0
    while not stop.wait(CHILD_POLL_S):
        dead = stack.dead()
        if dead:
            for proc in dead:
                print(f"{proc.name} exited with {proc.proc.returncode}; see {proc.log_path}", file=sys.stderr)
            exit_code = 1
            break
    print("stopping...", flush=True)
    codes = stack.stop()
    print("stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()), flush=True)
    return exit_code
