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
from feed.store.cassandra import posts as posts_module
from feed.store.cassandra import schema
from feed.store.url import apply_schema
from tests.store.contract import RaceContract, StoreContract, _ids, new_post, new_user
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


class TestCassandraStoreRaces(RaceContract):
    """The lightweight transactions under contention, which the in-memory emulation cannot show."""

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
    # the latest file that starts with two ALTER TABLE ... ADD; the run dies after them
    at = max(i for i, f in enumerate(every_file) if all(map(schema.added_column, f.statements[:2])))
    cut = every_file[at]
    half = schema.SchemaFile(cut.version, cut.checksum, cut.statements[:2])
    monkeypatch.setattr(schema, "schema_files", lambda: [*every_file[:at], half])
    apply_schema(url, DEV_REPLICATION)
    monkeypatch.setattr(schema, "schema_files", lambda: every_file)
    # The run recorded the half file as applied; a crash before that line would not have: undo the record.
    _cql(url, "DELETE FROM {ks}.schema_version WHERE version = %s", (cut.version,))
    assert apply_schema(url, DEV_REPLICATION) == [f.version for f in every_file[at:]]
    open_store(url).close()


def test_a_claim_whose_owner_died_is_finished_under_the_claimed_id(cassandra_url, monkeypatch):
    """The owner claimed the key, then died before its posts row: a retry waits, then completes it."""
    monkeypatch.setattr(posts_module, "OWNER_GRACE_S", 0.3)
    store = open_store(cassandra_url)
    try:
        author, claimed_id = new_user(), _ids.next_id()
        _cql(
            cassandra_url,
            "INSERT INTO {ks}.post_idempotency (author_id, idempotency_key, post_id) VALUES (%s, %s, %s)",
            (author, "orphan", claimed_id),
        )
        post, created = store.posts.create_post(new_post(author, "the retry"), "orphan")
        assert created and post.post_id == claimed_id
        assert store.posts.get_post(claimed_id) == post
        assert store.posts.create_post(new_post(author, "again"), "orphan") == (post, False)
    finally:
        store.close()


def _cql(url: str, statement: str, params: tuple) -> None:
    """One statement on the node behind url, outside the store ({ks}: the url's keyspace)."""
    contact_point, _, keyspace = url.removeprefix("cassandra://").partition("/")
    host, _, port = contact_point.rpartition(":")
    cluster = Cluster([host], port=int(port))
    try:
        cluster.connect().execute(statement.format(ks=keyspace), params)
    finally:
        cluster.shutdown()
