"""`feed replay TRACE...`: replay traces against a running stack and measure it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from feed.loadkit import require_extra
from feed.loadtest import DEFAULT_READ, DEFAULT_WRITE
from feed.shutdown import Stop


def _local_tokens(fallback):
    """Bearer tokens from the local keys, in each record's organization, or no metadata (with a
    warning) when there are no keys."""
    from feed.access.tokens import AuthKeys
    from feed.config import Settings
    from feed.errors import FeedError
    from feed.loadtest.caller import bearer_tokens

    try:
        return bearer_tokens(AuthKeys.from_settings(Settings.from_env()))
    except FeedError as exc:
        print(f"feed replay: sending no tokens ({exc})", file=sys.stderr)
        return fallback


def main(argv: list[str], stop: Stop | None = None) -> int:
    """`feed replay TRACE... [options]`; argv is what follows `feed replay`."""
    require_extra()
    parser = argparse.ArgumentParser(prog="feed replay", description="Replay traces against a running stack.")
    parser.add_argument("trace", nargs="+", help="trace files; several (a write and a read recording) merge in time")
    parser.add_argument("--target-write", default=DEFAULT_WRITE, help="PostService and GraphService address")
    parser.add_argument("--target-read", default=DEFAULT_READ, help="FeedService address")
    parser.add_argument("--speed", type=float, default=1.0, help="2 sends twice as fast as the trace")
    parser.add_argument("--concurrency", type=int, default=256, help="most requests in flight at once")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--plots", type=Path, help="write latency.png and throughput.png into this directory")
    parser.add_argument("--visibility-sample", type=float, default=0.05, help="share of posts probed for visibility")
    parser.add_argument("--duration-limit", type=float, help="stop sending after this many seconds")
    parser.add_argument("--dry-run", action="store_true", help="schedule and encode, send nothing")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline of each call, in seconds")
    parser.add_argument("--window", type=float, default=1.0, help="seconds per point of the plots")
    parser.add_argument(
        "--metadata",
        metavar="MODULE:FUNCTION",
        help="call metadata per acting user: FUNCTION(user_id, org_id) -> [(key, value)] or None "
        "(default: bearer tokens minted with the local keys, as `feed token` does)",
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from feed.loadtest.caller import load_metadata_provider, no_metadata
    from feed.loadtest.report import summary_table, write_plots
    from feed.loadtest.runner import Replay, ReplayOptions

    options = ReplayOptions(
        target_write=args.target_write,
        target_read=args.target_read,
        speed=args.speed,
        concurrency=args.concurrency,
        visibility_sample=args.visibility_sample,
        duration_limit_s=args.duration_limit,
        dry_run=args.dry_run,
        timeout_s=args.timeout,
        window_s=args.window,
        progress=not args.no_progress,
    )
    metadata = load_metadata_provider(args.metadata) if args.metadata else _local_tokens(no_metadata)
    result = Replay(args.trace, options, metadata, stop=stop).run()
    print(summary_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
        print(f"result: {args.json}")
    if args.plots:
        print("plots: " + ", ".join(str(p) for p in write_plots(result, args.plots)))
    return 0
