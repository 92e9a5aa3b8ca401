"""The store contract against the Cassandra store code over an in-memory session: always runs.

It checks the Cassandra backend's logic and statements (shapes, parameters, types)
where no cluster is available; test_cassandra_store.py runs the same contract
against a real cluster.
"""

from __future__ import annotations

from feed.store.base import Store
from feed.store.cassandra.graph import CassandraGraphStore
from feed.store.cassandra.orgs import CassandraOrgStore
from feed.store.cassandra.posts import CassandraPostStore
from tests.store.contract import StoreContract
from tests.store.in_memory_cassandra import InMemoryCassandraSession


class TestCassandraStoreInMemory(StoreContract):
    def make_store(self):
        db = InMemoryCassandraSession()
        return Store(posts=CassandraPostStore(db), graph=CassandraGraphStore(db), orgs=CassandraOrgStore(db))
