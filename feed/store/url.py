"""Open the store named by FEED_STORE: sqlite:///path or cassandra://hosts/keyspace."""

from __future__ import annotations

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
        from feed.store.sqlite_store import SqliteDatabase, SqliteGraphStore, SqliteOrgStore, SqlitePostStore

        # SQLAlchemy's convention: sqlite:///relative/path, sqlite:////absolute/path
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise InvalidArgument(f"FEED_STORE {url!r} names no file; use sqlite:///relative/path or sqlite:////abs")
        db = SqliteDatabase(path)
        return Store(posts=SqlitePostStore(db), graph=SqliteGraphStore(db), orgs=SqliteOrgStore(db))
    if parts.scheme == "cassandra":
        from feed.store.cassandra_store import open_cassandra_store

        return open_cassandra_store(url)
    raise InvalidArgument(f"FEED_STORE must start with sqlite:// or cassandra://, got {url!r}")
