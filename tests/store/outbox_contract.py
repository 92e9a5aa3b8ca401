"""The outbox part of the store contract: events recorded with their change, or not at all.

Mixed into StoreContract, so it runs on SQLite, the Cassandra emulation and a real
Cassandra. Each test first acknowledges whatever an earlier test left pending, then
tags its entries with keys of its own.
"""

from __future__ import annotations

import os

import pytest

from feed.store.base import Store
from feed.store.outbox import OutboxEntry, OutboxRecord
from tests.store.contract_data import new_post, new_user

DRAIN_LIMIT = 1000


def entry(tag: bytes, n: int = 0) -> OutboxEntry:
    return OutboxEntry(key=tag, value=b"event-%d" % n, created_ms=1_000 + n, headers=(("request-id", b"r%d" % n),))


def fresh_tag() -> bytes:
    return os.urandom(8).hex().encode()


def drain(store: Store) -> None:
    """Acknowledge everything pending (what earlier tests of a shared database left)."""
    for _ in range(10_000):
        records = store.outbox.pending(DRAIN_LIMIT)
        if not records:
            return
        store.outbox.acknowledge(records)
    raise AssertionError("the outbox did not drain")


def pending_of(store: Store, tag: bytes) -> list[OutboxRecord]:
    return [r for r in store.outbox.pending(DRAIN_LIMIT) if r.entry.key == tag]


class OutboxContract:
    """Behaviour every backend's outbox must show (store fixture from OnABackend)."""

    @pytest.fixture
    def clean(self, store: Store) -> Store:
        drain(store)
        return store

    def test_entries_of_changes_are_pending_in_the_order_recorded(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        a, b = new_user(), new_user()
        store.graph.follow(a, b, outbox=[entry(tag, 1)])
        store.graph.unfollow(a, b, outbox=[entry(tag, 2)])
        store.graph.follow(a, b, outbox=[entry(tag, 3), entry(tag, 4)])
        got = pending_of(store, tag)
        assert [r.entry for r in got] == [entry(tag, n) for n in (1, 2, 3, 4)]
        assert pending_of(store, tag) == got  # unacknowledged: the same records again

    def test_acknowledged_records_are_not_pending_again(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        user, group = new_user(), new_user()
        store.orgs.add_member(group, user, outbox=[entry(tag, 1)])
        store.orgs.remove_member(group, user, outbox=[entry(tag, 2)])
        first = pending_of(store, tag)
        store.outbox.acknowledge(first[:1])
        store.outbox.acknowledge(first[:1])  # twice is harmless
        assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 2)]

    def test_a_post_and_its_events_are_recorded_together_once_per_idempotency_key(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        author = new_user()
        first, created = store.posts.create_post(new_post(author), "k1", outbox=[entry(tag, 1)])
        again, created_again = store.posts.create_post(new_post(author), "k1", outbox=[entry(tag, 2)])
        assert created and not created_again and again == first
        assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 1)]

    def test_every_kind_of_change_records_its_entries(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        a, b, group = new_user(), new_user(), new_user()
        post, _ = store.posts.create_post(new_post(a), outbox=[entry(tag, 1)])
        store.posts.delete_post(post.post_id, outbox=[entry(tag, 2)])
        store.posts.delete_post(post.post_id, outbox=[entry(tag, 3)])  # a retry records again
        store.graph.block(a, b, outbox=[entry(tag, 4)])
        store.graph.unblock(a, b, outbox=[entry(tag, 5)])
        store.orgs.add_member(group, a, outbox=[entry(tag, 6)])
        assert [r.entry.value for r in pending_of(store, tag)] == [b"event-%d" % n for n in range(1, 7)]

    def test_backlog_counts_pending_records_and_names_the_oldest(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        assert store.outbox.backlog().records == 0
        store.graph.follow(new_user(), new_user(), outbox=[entry(tag, 5), entry(tag, 9)])
        backlog = store.outbox.backlog()
        assert backlog.records == 2 and backlog.oldest_ms == 1_005
        store.outbox.acknowledge(pending_of(store, tag))
        assert store.outbox.backlog() == type(backlog)(0, None)

    def test_pending_never_returns_more_than_asked(self, clean: Store) -> None:
        store, tag = clean, fresh_tag()
        store.graph.follow(new_user(), new_user(), outbox=[entry(tag, n) for n in range(5)])
        assert len(store.outbox.pending(3)) == 3

    def test_block_removes_follows_both_ways_with_the_block(self, store: Store) -> None:
        a, b = new_user(), new_user()
        store.graph.follow(a, b)
        store.graph.follow(b, a)
        store.graph.block(a, b)
        assert not store.graph.is_following(a, b) and not store.graph.is_following(b, a)
        assert store.graph.follower_count(a) == 0 and store.graph.follower_count(b) == 0

    def test_find_post_answers_for_deleted_posts_too(self, store: Store) -> None:
        post, _ = store.posts.create_post(new_post(new_user()))
        assert store.posts.find_post(post.post_id) == (post, False)
        store.posts.delete_post(post.post_id)
        assert store.posts.find_post(post.post_id) == (post, True)
        assert store.posts.find_post(new_user()) is None
