"""`feed trace generate|record|info`: make and inspect load-test traces."""

from __future__ import annotations

import argparse
import json
import threading
from collections import Counter

from feed.loadkit import require_extra
from feed.loadtest import DEFAULT_READ, DEFAULT_WRITE
from feed.shutdown import Stop


def main(argv: list[str], stop: Stop | None = None) -> int:
    """`feed trace ...`; argv is what follows `feed trace`."""
    require_extra()
    from feed.loadtest.generate import write_trace
    from feed.loadtest.params import DEFAULT_GROUP_MIX, DEFAULT_MIX, GeneratorParams, default_mix, parse_mix

    parser = argparse.ArgumentParser(prog="feed trace", description="Make and inspect load-test traces.")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write a synthetic trace: a social graph, then timed traffic")
    gen.add_argument("--users", type=int, required=True)
    gen.add_argument("--requests", type=int, required=True, help="requests of the timed stream (graph follows extra)")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("-o", "--out", required=True, help="output file; .gz compresses (use .jsonl.gz)")
    gen.add_argument("--mean-follows", type=float, default=20.0, help="accounts each user follows, on average")
    gen.add_argument("--rate", type=float, default=200.0, help="requests per second of the timed stream")
    gen.add_argument("--graph-rate", type=float, default=1000.0, help="Follow requests per second of the graph")
    mix_text, group_mix_text = (
        ",".join(f"{k}={v:g}" for k, v in mix.items()) for mix in (DEFAULT_MIX, DEFAULT_GROUP_MIX)
    )
    gen.add_argument(
        "--mix",
        type=parse_mix,
        help=f"percent per rpc, adding up to 100 (default {mix_text}; with groups {group_mix_text})",
    )
    gen.add_argument("--celebrities", type=int, default=3, help="accounts in the high-follower tail")
    gen.add_argument("--celebrity-reach", type=float, default=0.25, help="share of users following each celebrity")
    gen.add_argument("--zipf", type=float, default=1.0, help="exponent of the follower distribution")
    gen.add_argument("--id-base", type=int, default=0, help="user ids are id-base+1 .. id-base+users")
    gen.add_argument("--page-next", type=float, default=0.3, help="chance a read continues an earlier read's paging")
    gen.add_argument("--orgs", type=int, default=1, help="organizations 0..N-1, users split among them")
    gen.add_argument("--groups-per-org", type=int, default=0, help="groups each organization starts with")
    gen.add_argument("--private-groups", type=float, default=0.3, help="share of groups that are private")
    gen.add_argument("--group-members", type=float, default=8.0, help="members a group starts with, on average")
    gen.add_argument("--group-posts", type=float, default=0.3, help="share of posts made into a group")
    gen.add_argument("--no-progress", action="store_true")
    rec = commands.add_parser("record", help="record a session through a proxy in front of a running stack")
    rec.add_argument("--out", required=True)
    rec.add_argument("--duration", type=float, required=True, help="seconds to record (Ctrl-C stops sooner)")
    rec.add_argument("--sample", type=float, default=1.0, help="share of users whose requests are kept")
    rec.add_argument("--listen-write", default="127.0.0.1:60051", help="where clients send write-service calls")
    rec.add_argument("--listen-read", default="127.0.0.1:60052", help="where clients send read-service calls")
    rec.add_argument("--target-write", default=DEFAULT_WRITE)
    rec.add_argument("--target-read", default=DEFAULT_READ)
    info = commands.add_parser("info", help="print a trace's header and its requests per rpc")
    info.add_argument("trace", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "generate":
        params = GeneratorParams(
            users=args.users,
            requests=args.requests,
            seed=args.seed,
            mean_follows=args.mean_follows,
            rate=args.rate,
            graph_rate=args.graph_rate,
            celebrities=args.celebrities,
            celebrity_reach=args.celebrity_reach,
            zipf=args.zipf,
            id_base=args.id_base,
            page_next=args.page_next,
            orgs=args.orgs,
            groups_per_org=args.groups_per_org,
            private_groups=args.private_groups,
            group_members=args.group_members,
            group_posts=args.group_posts,
            mix=args.mix or default_mix(args.groups_per_org > 0),
        )
        header = write_trace(params, args.out, progress=not args.no_progress)
        phases = {"warmup": "first reads", "graph": "graph follows", "groups": "group creates and joins"}
        done = ", ".join(f"{header.counts[k]} {what}" for k, what in phases.items() if k in header.counts)
        print(f"wrote {args.out}: {done}, then {header.counts['stream']} requests")
        return 0
    if args.command == "record":
        from feed.loadtest.proxy import record_session

        listen = {"write": args.listen_write, "read": args.listen_read}
        print(f"recording to {args.out}: send write calls to {args.listen_write}, reads to {args.listen_read}")
        targets = {"write": args.target_write, "read": args.target_read}
        recorder = record_session(args.out, args.duration, args.sample, listen, targets, stop or threading.Event())
        print(f"recorded {recorder.requests} requests; left out: {dict(recorder.skipped) or 'none'}")
        return 0
    return _info(args.trace)


def _info(paths: list[str]) -> int:
    from feed.loadtest.trace import TraceReader

    for path in paths:
        with TraceReader(path) as reader:
            by_rpc: Counter[str] = Counter()
            last = 0
            for record in reader:
                by_rpc[record["rpc"]] += 1
                last = record["t"]
            summary = {"header": reader.header.to_json(), "requests": sum(by_rpc.values()), "span_s": last / 1000}
            summary |= {"by_rpc": dict(by_rpc.most_common()), "end": reader.end, "truncated": reader.truncated}
            print(json.dumps({"trace": path, **summary}, indent=2))
    return 0
