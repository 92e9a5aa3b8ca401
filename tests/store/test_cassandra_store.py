"""The store contract and the schema migrations against a real Apache Cassandra, always.

The session's node (tests/conftest.py: cassandra_contact_point) is the pinned
Cassandra started from its Maven jars, or the one FEED_CASSANDRA_CONTACT_POINTS
names. Each suite gets a keyspace of its own (SimpleStrategy, factor 1), so
full scans such as iter_user_ids see only its rows. The in-memory emulation of
the same store runs in test_cassandra_in_memory.py.
"""

from __future__ import annotations

import pytest
from cassandra.cluster import Cluster

from feed.store import open_store
from feed.store.cassandra import schema
from feed.store.url import apply_schema
from tests.store.contract import StoreContract
from tests.store.real_cassandra import DEV_REPLICATION, fresh_keyspace, keyspace_url

pytestmark = pytest.mark.cassandra
ALL_VERSIONS = [f.version for f in schema.schema_files()]


@pytest.fixture(scope="module")
def cassandra_url(cassandra_contact_point: str) -> str:
    return fresh_keyspace(cassandra_contact_point, "contract")


class TestCassandraStore(StoreContract):
    """Every contract test on the real Cassandra."""

    @pytest.fixture(autouse=True)
    def _url(self, cassandra_url: str) -> None:
        self.url = cassandra_url

    def make_store(self):
        return open_store(self.url)


def test_schema_apply_on_an_empty_keyspace_applies_every_file_and_again_applies_none(cassandra_contact_point):
    url = keyspace_url(cassandra_contact_point, "empty")
    assert apply_schema(url, DEV_REPLICATION) == ALL_VERSIONS
    assert apply_schema(url, DEV_REPLICATION) == []
    store = open_store(url)  # the services' check: every version recorded, every statement prepares
    store.close()


def test_a_keyspace_at_the_first_version_is_upgraded_by_the_later_files(cassandra_contact_point, monkeypatch):
    url = keyspace_url(cassandra_contact_point, "upgrade")
    every_file = schema.schema_files()
    monkeypatch.setattr(schema, "schema_files", lambda: every_file[:1])
    assert apply_schema(url, DEV_REPLICATION) == ALL_VERSIONS[:1]
    monkeypatch.setattr(schema, "schema_files", lambda: every_file)
    assert apply_schema(url, DEV_REPLICATION) == ALL_VERSIONS[1:]
    open_store(url).close()


def test_a_half_applied_file_is_finished_by_applying_again(cassandra_contact_point, monkeypatch):
    """A run that died after some ALTER TABLE ... ADD of a file: the next run skips the added columns."""
    url = keyspace_url(cassandra_contact_point, "half")
    every_file = schema.schema_files()
    last = every_file[-1]
    assert schema.added_column(last.statements[1]) is not None  # the run dies after two ALTER TABLE ... ADD
    half = schema.SchemaFile(last.version, last.checksum, last.statements[:2])
    monkeypatch.setattr(schema, "schema_files", lambda: [*every_file[:-1], half])
    apply_schema(url, DEV_REPLICATION)
    monkeypatch.setattr(schema, "schema_files", lambda: every_file)
    # The run recorded the half file as applied; a crash before that line would not have: undo the record.
    host, _, port = cassandra_contact_point.rpartition(":")
    cluster = Cluster([host], port=int(port))
    try:
        keyspace = url.rsplit("/", 1)[1]
        cluster.connect().execute(f"DELETE FROM {keyspace}.schema_version WHERE version = %s", (last.version,))
    finally:
        cluster.shutdown()
    assert apply_schema(url, DEV_REPLICATION) == [last.version]
    open_store(url).close()
