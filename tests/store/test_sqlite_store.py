"""The store contract against SQLite: always runs."""

from __future__ import annotations

import pytest

from feed.store import open_store
from tests.store.contract import RaceContract, StoreContract


class TestSqliteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.path = tmp_path / "feed.db"

    def make_store(self):
        return open_store(f"sqlite:///{self.path}")


class TestSqliteStoreRaces(RaceContract):
    """The same races on SQLite, where a transaction decides them."""

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.path = tmp_path / "feed.db"

    def make_store(self):
        return open_store(f"sqlite:///{self.path}")


def test_memory_database_is_usable():
    store = open_store("sqlite:///:memory:")
    assert store.graph.follow(1, 2)
    store.close()


def test_store_url_without_a_known_scheme_is_a_clear_error():
    from feed.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="sqlite:// or cassandra://"):
        open_store("postgres://x")
