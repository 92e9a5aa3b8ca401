"""The read-marker part of the store contract: compare-and-set on a version, per user.

Mixed into StoreContract (and the race into RaceContract), so it runs on SQLite, the
Cassandra emulation and a real Cassandra.
"""

from __future__ import annotations

import pytest

from feed.errors import Aborted, InvalidArgument
from feed.ids import MAX_ID
from feed.store.base import Store
from feed.store.markers import MAX_VERSION, Marker
from tests.store.contract_data import _ids, _race, new_user

NOW_MS = 1_760_000_000_000


def set_or_refusal(store: Store, user: int, post_id: int, expected: int) -> Marker | str:
    """The marker a set makes, or the message of its refusal."""
    try:
        return store.markers.set_marker(user, post_id, expected, NOW_MS)
    except Aborted as refusal:
        return str(refusal)


class MarkerContract:
    """Behaviour every backend's markers must show (store fixture from OnABackend)."""

    def test_a_user_who_never_set_a_marker_has_none(self, store: Store) -> None:
        assert store.markers.get_marker(new_user()) is None

    def test_a_first_set_from_version_0_stores_version_1(self, store: Store) -> None:
        user, post_id = new_user(), _ids.next_id()
        assert store.markers.set_marker(user, post_id, 0, NOW_MS) == Marker(post_id, 1, NOW_MS)
        assert store.markers.get_marker(user) == Marker(post_id, 1, NOW_MS)

    def test_a_set_from_the_current_version_moves_the_marker_one_version_on(self, store: Store) -> None:
        user, first, second, third = new_user(), _ids.next_id(), _ids.next_id(), _ids.next_id()
        store.markers.set_marker(user, first, 0, NOW_MS)
        store.markers.set_marker(user, second, 1, NOW_MS + 1)
        assert store.markers.set_marker(user, third, 2, NOW_MS + 2) == Marker(third, 3, NOW_MS + 2)
        assert store.markers.get_marker(user) == Marker(third, 3, NOW_MS + 2)

    def test_a_marker_may_move_back_to_an_older_post(self, store: Store) -> None:
        """A marker is where the user says they are, not a high-water mark."""
        user, older, newer = new_user(), _ids.next_id(), _ids.next_id()
        store.markers.set_marker(user, newer, 0, NOW_MS)
        assert store.markers.set_marker(user, older, 1, NOW_MS).post_id == older

    @pytest.mark.parametrize("stale", [0, 1, 3, MAX_VERSION - 1])
    def test_a_set_from_another_version_is_aborted_naming_the_current_one_and_changes_nothing(
        self, store: Store, stale: int
    ) -> None:
        user, first, second = new_user(), _ids.next_id(), _ids.next_id()
        store.markers.set_marker(user, first, 0, NOW_MS)
        store.markers.set_marker(user, second, 1, NOW_MS)
        with pytest.raises(Aborted, match=f"at version 2, not {stale};"):
            store.markers.set_marker(user, _ids.next_id(), stale, NOW_MS + 5)
        assert store.markers.get_marker(user) == Marker(second, 2, NOW_MS)

    def test_a_set_naming_a_version_of_a_user_without_a_marker_is_aborted(self, store: Store) -> None:
        user = new_user()
        with pytest.raises(Aborted, match="at version 0, not 1;"):
            store.markers.set_marker(user, _ids.next_id(), 1, NOW_MS)
        assert store.markers.get_marker(user) is None

    @pytest.mark.parametrize("version", [-1, MAX_VERSION, 1 << 64])
    def test_a_version_no_marker_can_move_on_from_is_an_invalid_argument(self, store: Store, version: int) -> None:
        user = new_user()
        store.markers.set_marker(user, _ids.next_id(), 0, NOW_MS)
        with pytest.raises(InvalidArgument, match="version must be between 0 and"):
            store.markers.set_marker(user, _ids.next_id(), version, NOW_MS)
        assert store.markers.get_marker(user).version == 1

    def test_markers_of_different_users_are_independent(self, store: Store) -> None:
        alice, bob, a_post, b_post = new_user(), new_user(), _ids.next_id(), _ids.next_id()
        store.markers.set_marker(alice, a_post, 0, NOW_MS)
        store.markers.set_marker(bob, b_post, 0, NOW_MS)
        store.markers.set_marker(bob, a_post, 1, NOW_MS)
        assert store.markers.get_marker(alice) == Marker(a_post, 1, NOW_MS)
        assert store.markers.get_marker(bob) == Marker(a_post, 2, NOW_MS)

    def test_ids_past_2_to_the_53_are_kept_exactly(self, store: Store) -> None:
        user = MAX_ID - new_user() % 1000
        store.markers.set_marker(user, MAX_ID, 0, NOW_MS)
        assert store.markers.get_marker(user) == Marker(MAX_ID, 1, NOW_MS)

    def test_a_purged_marker_is_gone_and_the_next_set_starts_from_version_0(self, store: Store) -> None:
        user, post_id = new_user(), _ids.next_id()
        store.markers.set_marker(user, post_id, 0, NOW_MS)
        store.markers.purge_marker(user)
        assert store.markers.get_marker(user) is None
        assert store.markers.set_marker(user, post_id, 0, NOW_MS) == Marker(post_id, 1, NOW_MS)


class MarkerRaceContract:
    """Concurrent sets of one marker (store fixture from OnABackend)."""

    def test_of_racing_sets_from_one_version_exactly_one_wins(self, store: Store) -> None:
        user, start = new_user(), _ids.next_id()
        store.markers.set_marker(user, start, 0, NOW_MS)
        targets = [_ids.next_id() for _ in range(6)]
        answers = _race(6, lambda i: set_or_refusal(store, user, targets[i], 1))
        won = [a for a in answers if isinstance(a, Marker)]
        assert len(won) == 1 and won[0].version == 2
        assert all("at version 2, not 1" in a for a in answers if not isinstance(a, Marker))
        assert store.markers.get_marker(user) == won[0]

    def test_of_racing_first_sets_exactly_one_wins(self, store: Store) -> None:
        user, targets = new_user(), [_ids.next_id() for _ in range(6)]
        answers = _race(6, lambda i: set_or_refusal(store, user, targets[i], 0))
        won = [a for a in answers if isinstance(a, Marker)]
        assert len(won) == 1 and won[0].version == 1
        assert store.markers.get_marker(user) == won[0]
