"""The reposts part of the store contract: one repost per (reposter, post), stored with its events.

Mixed into StoreContract, so it runs on SQLite, the Cassandra emulation and a real Cassandra.
"""

from __future__ import annotations

import time

from feed.store.base import Store
from feed.store.outbox import OutboxEntry
from feed.store.reposts import Repost
from tests.store.contract_data import _ids, new_user


def a_repost(reposter_id: int, post_id: int, org_id: int = 0) -> Repost:
    return Repost(_ids.next_id(), reposter_id, post_id, org_id, int(time.time() * 1000))


def entry(tag: bytes) -> OutboxEntry:
    return OutboxEntry(key=tag, value=b"event-" + tag, created_ms=1_000)


def pending_values(store: Store) -> list[bytes]:
    return [r.entry.value for r in store.outbox.pending(1000)]


class RepostContract:
    """Behaviour every backend's reposts must show (store fixture from OnABackend)."""

    def test_a_second_repost_of_the_same_post_answers_the_first_and_records_nothing(self, store: Store) -> None:
        reposter, post_id = new_user(), _ids.next_id()
        first, created = store.reposts.create_repost(a_repost(reposter, post_id, 7), [entry(b"one")])
        again, created_again = store.reposts.create_repost(a_repost(reposter, post_id, 7), [entry(b"two")])
        assert created and not created_again
        assert again == first
        assert b"event-one" in pending_values(store) and b"event-two" not in pending_values(store)
        assert store.reposts.find_repost(reposter, post_id) == first

    def test_reposts_are_found_by_id_by_post_and_by_reposter_newest_first(self, store: Store) -> None:
        reposter, post_a, post_b, other = new_user(), _ids.next_id(), _ids.next_id(), new_user()
        older, _ = store.reposts.create_repost(a_repost(reposter, post_a))
        newer, _ = store.reposts.create_repost(a_repost(reposter, post_b))
        theirs, _ = store.reposts.create_repost(a_repost(other, post_a))
        assert store.reposts.get_reposts([older.repost_id, newer.repost_id, post_a]) == {
            older.repost_id: older,
            newer.repost_id: newer,
        }
        assert sorted(store.reposts.reposts_of(post_a, 10), key=lambda r: r.repost_id) == [older, theirs]
        assert store.reposts.count_reposts([post_a, post_b, _ids.next_id()])[post_a] == 2
        assert store.reposts.list_user_reposts(reposter, None, 10) == [newer, older]
        assert store.reposts.list_user_reposts(reposter, newer.repost_id, 10) == [older]
        assert store.reposts.list_user_reposts(reposter, None, 1) == [newer]

    def test_purging_a_user_erases_their_reposts_only(self, store: Store) -> None:
        reposter, other, post_id = new_user(), new_user(), _ids.next_id()
        mine = [store.reposts.create_repost(a_repost(reposter, _ids.next_id()))[0] for _ in range(3)]
        theirs, _ = store.reposts.create_repost(a_repost(other, post_id))
        assert sorted(store.reposts.purge_reposts(reposter, page=2)) == sorted(r.repost_id for r in mine)
        assert store.reposts.list_user_reposts(reposter, None, 10) == []
        assert store.reposts.get_reposts([r.repost_id for r in mine]) == {}
        assert store.reposts.find_repost(other, post_id) == theirs

    def test_a_deleted_repost_is_gone_everywhere_and_its_event_recorded(self, store: Store) -> None:
        reposter, post_id = new_user(), _ids.next_id()
        repost, _ = store.reposts.create_repost(a_repost(reposter, post_id))
        store.reposts.delete_repost(repost, [entry(b"gone")])
        assert store.reposts.find_repost(reposter, post_id) is None
        assert store.reposts.get_reposts([repost.repost_id]) == {}
        assert store.reposts.reposts_of(post_id, 10) == []
        assert store.reposts.count_reposts([post_id]) == {post_id: 0}
        assert store.reposts.list_user_reposts(reposter, None, 10) == []
        assert b"event-gone" in pending_values(store)
