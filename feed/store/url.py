"""The store named by FEED_STORE (sqlite:///path or cassandra://hosts/keyspace): open it, or apply its schema."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from feed.errors import InvalidArgument
from feed.store.base import Store


def open_store(url: str) -> Store:
    """Connect to the backend the URL names, every call timed; raise InvalidArgument for a bad URL."""
    from feed.store.instrumented import instrument

    return instrument(_open_backend(url), urlsplit(url).scheme)


def _open_backend(url: str) -> Store:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        from feed.store.sqlite import SqliteDatabase, SqliteGraphStore, SqliteOrgStore, SqlitePostStore
        from feed.store.sqlite_markers import SqliteMarkerStore
        from feed.store.sqlite_outbox import SqliteOutboxStore
        from feed.store.sqlite_quiet import SqliteQuietStore
        from feed.store.sqlite_reposts import SqliteRepostStore

        # SQLAlchemy's convention: sqlite:///relative/path, sqlite:////absolute/path
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise InvalidArgument(f"FEED_STORE {url!r} names no file; use sqlite:///relative/path or sqlite:////abs")
        db = SqliteDatabase(path)
        return Store(
            posts=SqlitePostStore(db),
            graph=SqliteGraphStore(db),
            orgs=SqliteOrgStore(db),
            outbox=SqliteOutboxStore(db),
            markers=SqliteMarkerStore(db),
            quiet=SqliteQuietStore(db),
            reposts=SqliteRepostStore(db),
        )
    if parts.scheme == "cassandra":
        from feed.store.cassandra.store import open_cassandra_store

        return open_cassandra_store(url)
    raise InvalidArgument(f"FEED_STORE must start with sqlite:// or cassandra://, got {url!r}")


def apply_schema(url: str, replication: str | None = None) -> list[str]:
    """Bring the store at url up to the current schema; return the versions applied now.

    replication (JSON or a CQL map) is used only when the Cassandra keyspace does
    not exist yet; it overrides FEED_CASSANDRA_REPLICATION.
    """
    scheme = urlsplit(url).scheme  # backends imported lazily: SQLite users never load the driver
    if scheme == "sqlite":
        open_store(url).close()
        return []
    if scheme == "cassandra":
        from feed.store.cassandra.schema import apply_cassandra_schema
        from feed.store.cassandra.settings import CassandraSettings, parse_replication

        settings = CassandraSettings.from_env(url)
        if replication is not None:
            settings = dataclasses.replace(settings, replication=parse_replication(replication, "--replication"))
        return apply_cassandra_schema(settings)
    raise InvalidArgument(f"the store URL must start with sqlite:// or cassandra://, got {url!r}")
