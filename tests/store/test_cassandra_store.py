"""The store contract against a real Cassandra, when FEED_CASSANDRA_CONTACT_POINTS names one.

FEED_CASSANDRA_CONTACT_POINTS=127.0.0.1 .venv/bin/pytest tests/store/test_cassandra_store.py
applies the schema to FEED_CASSANDRA_KEYSPACE (default feed_test, created with
SimpleStrategy 1 if missing) and runs every contract test there. The other
FEED_CASSANDRA_* variables (local DC, credentials, consistency) apply as in
production. The contract uses fresh random ids, so the keyspace can be reused.
"""

from __future__ import annotations

import os

import pytest

from feed.store import open_store
from feed.store.url import apply_schema
from tests.store.contract import StoreContract

CONTACT_POINTS = os.environ.get("FEED_CASSANDRA_CONTACT_POINTS", "")
KEYSPACE = os.environ.get("FEED_CASSANDRA_KEYSPACE") or "feed_test"
SKIP_REASON = (
    "FEED_CASSANDRA_CONTACT_POINTS is not set; "
    "set FEED_CASSANDRA_CONTACT_POINTS=127.0.0.1 to run the store contract against Cassandra"
)
DEV_REPLICATION = '{"class": "SimpleStrategy", "replication_factor": 1}'

pytestmark = [pytest.mark.cassandra, pytest.mark.skipif(not CONTACT_POINTS, reason=SKIP_REASON)]


@pytest.fixture(scope="module")
def cassandra_url() -> str:
    url = f"cassandra://{CONTACT_POINTS}/{KEYSPACE}"
    apply_schema(url, DEV_REPLICATION)
    return url


class TestCassandraStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _url(self, cassandra_url: str) -> None:
        self.url = cassandra_url

    def make_store(self):
        return open_store(self.url)


def test_applying_the_schema_again_applies_nothing(cassandra_url: str) -> None:
    assert apply_schema(cassandra_url, DEV_REPLICATION) == []
