"""The `feed` command: one entry point for every process and operator tool.

This module is the composition root: it reads the command's name and hands the
rest of the line to `feed.commands.<name>.main(argv, stop)`, where `stop` is
set by the first SIGTERM or SIGINT. Each command imports what it needs, so
`feed --help` stays fast and the services never load the load tools.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from feed.errors import FeedError
from feed.shutdown import stop_event

# name -> (module under feed.commands, help line)
COMMANDS = {
    "up": ("up", "run the whole stack locally (broker, Redis, services, workers)"),
    "serve": ("serve", "run one gRPC service (feed serve write|read)"),
    "worker": ("worker", "run one fan-out worker"),
    "relay": ("relay", "publish the events the write path recorded (the outbox) to Kafka"),
    "schema": ("schema", "manage the durable store's schema (feed schema apply)"),
    "rebuild": ("rebuild", "warm Redis timelines from the durable store"),
    "token": ("token", "mint a bearer token for a user (local use)"),
    "org": ("org", "export or delete one organization whole (feed org export|delete)"),
    "bench": ("bench", "measure fan-out, reads and visibility against the machine's ceiling"),
    "trace": ("trace", "make load-test traces (feed trace generate|record|info)"),
    "replay": ("replay", "replay a trace against a running stack and measure it"),
}


def main(argv: list[str] | None = None) -> int:
    # First: a stop signal that arrives from here on is handled, and one a parent held
    # back during our start-up (ManagedProcess hold_signals) is delivered now.
    stop = stop_event()
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="feed", description="Feed fan-out backend.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_line) in COMMANDS.items():
        sub.add_parser(name, help=help_line, add_help=False)
    args, rest = parser.parse_known_args(argv)
    command = importlib.import_module(f"feed.commands.{COMMANDS[args.command][0]}")
    try:
        return command.main(rest, stop)
    except FeedError as exc:
        print(f"feed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
