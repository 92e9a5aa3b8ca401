"""The `feed` command: one entry point for every process and operator tool.

This module is the composition root: it parses the command line, reads the
settings, installs the stop handler, and hands over to the service, worker or
tool named. Imports happen per command so `feed --help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from feed.config import Settings
from feed.errors import FeedError


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides = {
        k: v
        for k, v in {
            "write_addr": getattr(args, "write_addr", None),
            "read_addr": getattr(args, "read_addr", None),
        }.items()
        if v
    }
    settings = dataclasses.replace(settings, **overrides)
    settings.validate()
    return settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="feed", description="Feed fan-out backend.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("up", help="run the whole stack locally (broker, Redis, services, workers)", add_help=False)
    serve = sub.add_parser("serve", help="run one gRPC service")
    serve.add_argument("role", choices=["write", "read"])
    serve.add_argument("--write-addr", help="HOST:PORT for the write service (FEED_WRITE_ADDR)")
    serve.add_argument("--read-addr", help="HOST:PORT for the read service (FEED_READ_ADDR)")
    sub.add_parser("worker", help="run one fan-out worker")
    sub.add_parser("schema", help="manage the durable store's schema (feed schema apply)", add_help=False)
    sub.add_parser("rebuild", help="warm Redis timelines from the durable store", add_help=False)
    sub.add_parser("token", help="mint a bearer token for a user (local use)", add_help=False)
    sub.add_parser("org", help="export or delete one organization whole (feed org export|delete)", add_help=False)
    sub.add_parser("bench", help="measure fan-out, reads and visibility against the machine's ceiling", add_help=False)
    sub.add_parser("trace", help="make load-test traces (feed trace generate|record|info)", add_help=False)
    sub.add_parser("replay", help="replay a trace against a running stack and measure it", add_help=False)

    args, rest = parser.parse_known_args(argv)
    try:
        return _dispatch(args, rest, parser)
    except FeedError as exc:
        print(f"feed: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace, rest: list[str], parser: argparse.ArgumentParser) -> int:
    from feed import logs
    from feed.shutdown import stop_event

    if args.command == "schema":
        from feed.schema import main as schema_main

        return schema_main(rest)
    if args.command == "bench":
        from feed.bench.cli import main as bench_main

        return bench_main(rest)
    if args.command == "trace":
        from feed.loadtest.cli import trace_main

        return trace_main(rest, stop_event())
    if args.command == "replay":
        from feed.loadtest.cli import replay_main

        return replay_main(rest, stop_event())
    if args.command == "org":
        from feed.org_admin import main as org_main

        return org_main(rest)
    if args.command == "token":
        from feed.token_cli import main as token_main

        return token_main(rest)
    if args.command == "rebuild":
        from feed.rebuild_cli import main as rebuild_main

        return rebuild_main(rest)
    if args.command == "up":
        from feed.up import main as up_main

        return up_main(rest, stop_event())
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = _settings(args)
    stop = stop_event()
    if args.command == "serve":
        logs.configure(f"{args.role}-service")
        if args.role == "write":
            from services.write_service import main as write_main

            return write_main(settings, stop)
        from services.read_service import main as read_main

        return read_main(settings, stop)
    logs.configure("fanout-worker")
    from workers.fanout_worker import main as worker_main

    return worker_main(settings, stop)


if __name__ == "__main__":
    sys.exit(main())
