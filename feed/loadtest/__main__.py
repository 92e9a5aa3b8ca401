"""`python -m feed.loadtest trace ...|replay ...`: the same commands as `feed trace` and `feed replay`."""

from __future__ import annotations

import sys

from feed.errors import FeedError
from feed.loadtest.cli import replay_main, trace_main
from feed.shutdown import stop_event

if __name__ == "__main__":
    command, rest = (sys.argv[1:2] or [""])[0], sys.argv[2:]
    if command not in ("trace", "replay"):
        sys.exit("usage: python -m feed.loadtest trace|replay ...")
    try:
        sys.exit((trace_main if command == "trace" else replay_main)(rest, stop_event()))
    except FeedError as exc:
        sys.exit(f"feed {command}: {exc}")
