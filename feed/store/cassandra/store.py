"""Cassandra backend of the store contracts: the production store.

FEED_STORE=cassandra://host/keyspace and FEED_CASSANDRA_* (settings.py) say where the
cluster is and how to reach it. The tables are in feed/store/cassandra/cql and
are created by `feed schema apply`, never by the services (see schema.py).
This module opens the store; the parts live in posts.py, graph.py,
orgs.py, outbox.py, markers.py, quiet.py and reposts.py, sharing one session.
"""

from __future__ import annotations

from feed.store.base import Store
from feed.store.cassandra.graph import CassandraGraphStore
from feed.store.cassandra.markers import CassandraMarkerStore
from feed.store.cassandra.orgs import CassandraOrgStore
from feed.store.cassandra.outbox import CassandraOutboxStore
from feed.store.cassandra.posts import CassandraPostStore
from feed.store.cassandra.quiet import CassandraQuietStore
from feed.store.cassandra.reposts import CassandraRepostStore
from feed.store.cassandra.schema import schema_files
from feed.store.cassandra.session import CassandraSession
from feed.store.cassandra.settings import CassandraSettings


def open_cassandra_store(url: str) -> Store:
    """Connect to the keyspace the URL names (settings from FEED_CASSANDRA_*); the parts share one session."""
    versions = [schema_file.version for schema_file in schema_files()]
    db = CassandraSession(CassandraSettings.from_env(url), required_versions=versions)
    return Store(
        posts=CassandraPostStore(db),
        graph=CassandraGraphStore(db),
        orgs=CassandraOrgStore(db),
        outbox=CassandraOutboxStore(db),
        markers=CassandraMarkerStore(db),
        quiet=CassandraQuietStore(db),
        reposts=CassandraRepostStore(db),
    )
