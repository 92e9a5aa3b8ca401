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


def test_racing_marker_sets_through_separate_connections_let_exactly_one_win(tmp_path):
    """Two processes' connections to one file: BEGIN IMMEDIATE, not the in-process lock, decides."""
    from feed.store.markers import Marker
    from tests.store.contract_data import _ids, _race, new_user
    from tests.store.markers_contract import set_or_refusal

    url = f"sqlite:///{tmp_path / 'feed.db'}"
    stores = [open_store(url) for _ in range(4)]
    try:
        user = new_user()
        stores[0].markers.set_marker(user, _ids.next_id(), 0, 1)
        targets = [_ids.next_id() for _ in stores]
        answers = _race(len(stores), lambda i: set_or_refusal(stores[i], user, targets[i], 1))
        won = [a for a in answers if isinstance(a, Marker)]
        assert len(won) == 1 and won[0].version == 2
        assert stores[3].markers.get_marker(user) == won[0]
    finally:
        for store in stores:
            store.close()
