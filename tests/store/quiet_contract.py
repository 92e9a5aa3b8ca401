"""The mutes and keyword filters part of the store contract: rows that hold until removed or expired.

Mixed into StoreContract, so it runs on SQLite, the Cassandra emulation and a real
Cassandra. Expiries lie a minute ahead of the wall clock (a real Cassandra's TTL
counts from it) and reads name "now" on either side of them.
"""

from __future__ import annotations

import time

from feed.store.base import Store
from feed.store.quiet import KeywordFilter, Mute
from tests.store.contract_data import _ids, new_user


def soon_ms() -> int:
    return int(time.time() * 1000) + 60_000


class QuietContract:
    """Behaviour every backend's mutes and filters must show (store fixture from OnABackend)."""

    def test_a_mute_holds_until_its_expiry_and_not_at_it(self, store: Store) -> None:
        muter, muted, forever, expire = new_user(), new_user(), new_user(), soon_ms()
        store.quiet.mute(muter, Mute(muted, expire))
        store.quiet.mute(muter, Mute(forever))
        assert set(store.quiet.active_mutes(muter, expire - 1)) == {Mute(muted, expire), Mute(forever)}
        assert store.quiet.active_mutes(muter, expire) == [Mute(forever)]
        assert store.quiet.list_mutes(muter, expire, 10).mutes == [Mute(forever)]

    def test_muting_again_replaces_the_expiry(self, store: Store) -> None:
        muter, muted, expire = new_user(), new_user(), soon_ms()
        store.quiet.mute(muter, Mute(muted, expire))
        store.quiet.mute(muter, Mute(muted))
        assert store.quiet.active_mutes(muter, expire + 1) == [Mute(muted)]

    def test_unmute_ends_a_mute_and_says_whether_there_was_one(self, store: Store) -> None:
        muter, muted = new_user(), new_user()
        store.quiet.mute(muter, Mute(muted))
        assert store.quiet.unmute(muter, muted) is True
        assert store.quiet.unmute(muter, muted) is False
        assert store.quiet.active_mutes(muter, 0) == []

    def test_list_mutes_pages_every_active_mute_once_by_id(self, store: Store) -> None:
        muter, expire = new_user(), soon_ms()
        muted = sorted(new_user() for _ in range(7))
        for i, user in enumerate(muted):
            store.quiet.mute(muter, Mute(user, expire if i % 3 == 1 else None))  # 2 of them lapse at expire
        listed, token = [], None
        for _ in range(10):
            page = store.quiet.list_mutes(muter, expire, 2, token)
            assert len(page.mutes) <= 2
            listed += page.mutes
            token = page.next_token
            if token is None:
                break
        assert listed == [Mute(u) for i, u in enumerate(muted) if i % 3 != 1]

    def test_mutes_are_each_muters_own(self, store: Store) -> None:
        a, b, muted = new_user(), new_user(), new_user()
        store.quiet.mute(a, Mute(muted))
        assert store.quiet.active_mutes(b, 0) == []
        assert store.quiet.unmute(b, muted) is False
        assert store.quiet.active_mutes(a, 0) == [Mute(muted)]

    def test_filters_are_listed_by_id_while_active(self, store: Store) -> None:
        user, expire = new_user(), soon_ms()
        first = KeywordFilter(_ids.next_id(), "Spoiler", True)
        second = KeywordFilter(_ids.next_id(), "ネタバレ", False, expire)
        store.quiet.add_filter(user, second)
        store.quiet.add_filter(user, first)
        store.quiet.add_filter(user, first)  # again: no change
        assert store.quiet.active_filters(user, expire - 1) == [first, second]
        assert store.quiet.active_filters(user, expire) == [first]

    def test_a_filter_is_removed_only_by_its_user(self, store: Store) -> None:
        user, other = new_user(), new_user()
        kept = KeywordFilter(_ids.next_id(), "spoiler")
        store.quiet.add_filter(user, kept)
        assert store.quiet.remove_filter(other, kept.filter_id) is False
        assert store.quiet.active_filters(user, 0) == [kept]
        assert store.quiet.remove_filter(user, kept.filter_id) is True
        assert store.quiet.remove_filter(user, kept.filter_id) is False
        assert store.quiet.active_filters(user, 0) == []

    def test_purge_erases_a_users_mutes_and_filters(self, store: Store) -> None:
        user = new_user()
        store.quiet.mute(user, Mute(new_user()))
        store.quiet.add_filter(user, KeywordFilter(_ids.next_id(), "x"))
        store.quiet.purge_quiet(user)
        assert store.quiet.active_mutes(user, 0) == [] and store.quiet.active_filters(user, 0) == []
