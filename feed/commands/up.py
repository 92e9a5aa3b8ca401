"""`feed up`: the whole stack on one machine, on embedded defaults, until Ctrl-C or SIGTERM.

Children that exit meanwhile are restarted (feed.devstack.supervise): one killed worker or
service does not take the stack down."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from feed.config import Settings
from feed.devstack.procs import Stopped
from feed.devstack.stack import describe, start_stack
from feed.devstack.supervise import Supervisor
from feed.shutdown import Stop


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str], stop: Stop) -> int:
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
    if not os.environ.get("FEED_WEB_DEMO"):  # a local stack: the demo page signs in with minted tokens
        settings = dataclasses.replace(settings, web_demo=True)
    try:
        stack = start_stack(
            settings, args.data_dir, args.workers, redis_masters=args.redis_cluster, full=args.full, stop=stop, web=True
        )
    except Stopped:
        print("stopped while starting", flush=True)  # start_stack stopped what it had started
        return 0
    print(describe(stack), flush=True)
    Supervisor(stack, say).run(stop)
    print("stopping...", flush=True)
    codes = stack.stop()
    print("stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()), flush=True)
    return 0
