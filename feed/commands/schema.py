"""`feed schema apply`: create or upgrade the durable store's schema before the services start.

Cassandra: apply the numbered files in feed/store/cassandra/cql that the keyspace has not
recorded yet (see feed/store/cassandra/schema.py). SQLite: nothing to apply,
its schema is created when the store opens, so this only opens it.
"""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlsplit

from feed.errors import FeedError, InvalidArgument
from feed.shutdown import Stop
from feed.store.url import apply_schema

DEFAULT_STORE = "sqlite:///var/feed.db"


def main(argv: list[str], stop: Stop | None = None) -> int:
    """Run `feed schema ...`; argv is what follows `feed schema`, e.g. ["apply", "--store", URL]."""
    parser = argparse.ArgumentParser(prog="feed schema", description="Manage the durable store's schema.")
    commands = parser.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="create or upgrade the schema; safe to run again")
    apply.add_argument(
        "--store",
        default=os.environ.get("FEED_STORE") or DEFAULT_STORE,
        help="store URL (default: $FEED_STORE, else %(default)s)",
    )
    apply.add_argument(
        "--replication",
        default=None,
        metavar="JSON",
        help="""keyspace replication when creating it, e.g. '{"class": "SimpleStrategy", "replication_factor": 1}' """
        "(default: $FEED_CASSANDRA_REPLICATION, else NetworkTopologyStrategy with datacenter1: 3)",
    )
    args = parser.parse_args(argv)
    try:
        applied = apply_schema(args.store, args.replication)
    except FeedError as exc:
        print(f"feed schema apply: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InvalidArgument) else 1
    if urlsplit(args.store).scheme != "cassandra":
        print(f"{args.store}: SQLite creates its schema on open; nothing to apply")
    elif applied:
        for version in applied:
            print(f"applied {version}")
    else:
        print("schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
