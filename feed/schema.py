"""`feed schema apply`: create or upgrade the durable store's schema before the services start.

Cassandra: apply the numbered files in feed/cql that the keyspace has not
recorded yet (see feed/store/cassandra_schema.py). SQLite: nothing to apply,
its schema is created when the store opens, so this only opens it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from urllib.parse import urlsplit

from feed.errors import FeedError, InvalidArgument

DEFAULT_STORE = "sqlite:///var/feed.db"


def apply_schema(url: str, replication: str | None = None) -> list[str]:
    """Bring the store at url up to the current schema; return the versions applied now.

    replication (JSON or a CQL map) is used only when the Cassandra keyspace does
    not exist yet; it overrides FEED_CASSANDRA_REPLICATION.
    """
    scheme = urlsplit(url).scheme  # backends imported lazily: SQLite users never load the driver
    if scheme == "sqlite":
        from feed.store import open_store

        open_store(url).close()
        return []
    if scheme == "cassandra":
        from feed.store.cassandra_schema import apply_cassandra_schema, parse_replication
        from feed.store.cassandra_store import CassandraSettings

        settings = CassandraSettings.from_env(url)
        if replication is not None:
            settings = dataclasses.replace(settings, replication=parse_replication(replication, "--replication"))
        return apply_cassandra_schema(settings)
    raise InvalidArgument(f"the store URL must start with sqlite:// or cassandra://, got {url!r}")


def main(argv: list[str]) -> int:
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
