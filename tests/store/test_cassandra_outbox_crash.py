"""Crashes between the steps of a write on the real Cassandra: the retry finishes the first call.

A change that cannot be one logged batch (an LWT comes first) is run here up to
its first step only, as if the write service died right after it; the retry then
goes through the public method. The post or edge must exist once and its events
be pending once. A batch that lands late (replayed from Cassandra's batchlog, or
just slow) must still be published: it is written here with a seq from the past.
"""

from __future__ import annotations

import pytest

from feed.store import open_store
from feed.store.base import Store
from feed.store.cassandra import outbox as outbox_module
from feed.store.cassandra import posts as posts_module
from feed.store.cassandra.outbox_layout import WriteClock, now_us
from feed.store.instrumented import uninstrumented
from tests.store.contract_data import new_post, new_user
from tests.store.outbox_contract import drain, entry, fresh_tag, pending_of
from tests.store.real_cassandra import fresh_keyspace

pytestmark = pytest.mark.cassandra


@pytest.fixture(scope="module")
def cassandra_url(cassandra_contact_point: str) -> str:
    return fresh_keyspace(cassandra_contact_point, "crash")


@pytest.fixture
def store(cassandra_url: str):
    store = uninstrumented(open_store(cassandra_url))  # the steps are methods of the bare stores
    drain(store)
    yield store
    store.close()


def test_a_create_that_died_after_its_claim_is_finished_by_the_retry_with_the_first_calls_events(
    store: Store, monkeypatch
) -> None:
    monkeypatch.setattr(posts_module, "OWNER_GRACE_S", 0.2)
    tag, author = fresh_tag(), new_user()
    first = new_post(author, "the first call")
    store.posts._claim(first, "k", [entry(tag, 1), entry(tag, 2)])  # then the write service died

    retried, created = store.posts.create_post(new_post(author, "the retry"), "k", outbox=[entry(tag, 9)])

    assert created and retried == first
    assert store.posts.list_author_posts(author, None, 10) == [first]
    assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 1), entry(tag, 2)]
    assert store.posts.create_post(new_post(author, "a third try"), "k", outbox=[entry(tag, 8)]) == (first, False)
    assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 1), entry(tag, 2)]


def test_a_follow_that_died_after_its_lwt_is_recorded_by_the_retry(store: Store) -> None:
    tag, fan, star = fresh_tag(), new_user(), new_user()
    store.graph._following.add(fan, star)  # the edge of record, then the write service died

    assert store.graph.follow(fan, star, outbox=[entry(tag, 1)]) is False  # the edge was there already
    assert store.graph.is_following(fan, star)
    assert store.graph.list_followers(star, 10).ids == [fan]  # the mirror, written with the records
    assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 1)]


def test_a_record_that_lands_late_behind_newer_ones_is_still_published(store: Store, monkeypatch) -> None:
    tag = fresh_tag()
    assert pending_of(store, tag) == []  # the relay has read up to now
    # A batch whose seq was taken 5 s ago lands only now (a slow coordinator, a batchlog replay).
    monkeypatch.setattr(outbox_module, "WRITE_CLOCK", WriteClock(lambda: now_us() - 5_000_000))
    store.graph.follow(new_user(), new_user(), outbox=[entry(tag, 1)])
    monkeypatch.setattr(outbox_module, "RESCAN_S", 0.0)  # the next poll is a rescan of the settle window
    assert [r.entry for r in pending_of(store, tag)] == [entry(tag, 1)]
