"""The Cassandra outbox's pure layout (shards, seqs, codecs) and its reads over the emulation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feed.store.base import Store
from feed.store.cassandra.graph import CassandraGraphStore
from feed.store.cassandra.markers import CassandraMarkerStore
from feed.store.cassandra.orgs import CassandraOrgStore
from feed.store.cassandra.outbox import CassandraOutboxStore
from feed.store.cassandra.outbox_layout import (
    OUTBOX_SHARDS,
    WriteClock,
    after_tick,
    bucket_of,
    decode_entries,
    encode_entries,
    shard_of,
    tick_of_us,
)
from feed.store.cassandra.posts import CassandraPostStore
from feed.store.cassandra.quiet import CassandraQuietStore
from feed.store.cassandra.reposts import CassandraRepostStore
from feed.store.outbox import OutboxEntry
from tests.clock import FakeClock
from tests.store.in_memory_cassandra import InMemoryCassandraSession, _order
from tests.store.outbox_contract import drain, entry, fresh_tag


def test_shards_are_pinned_because_stored_records_depend_on_them():
    assert [shard_of(key) for key in (b"", b"42", b"user:7")] == [0, 0, 7]
    assert {shard_of(str(n).encode()) for n in range(200)} == set(range(OUTBOX_SHARDS))


def test_a_clock_that_steps_back_still_hands_out_later_timestamps_with_room_for_each_record():
    now = [5_000_000]
    clock = WriteClock(lambda: now[0])
    first = clock.reserve(25)  # 25 seqs need 3 microseconds
    now[0] -= 1_000_000  # the wall clock steps back a second
    second = clock.reserve(1)
    assert second == first + 3
    seqs = [clock.seq(first, i) for i in range(25)] + [clock.seq(second, 0)]
    assert [_order(s) for s in seqs] == sorted(_order(s) for s in seqs)
    assert len({s.time for s in seqs}) == len(seqs)


def test_a_seq_at_a_tick_sorts_at_or_before_that_ticks_bound_and_before_the_next_tick():
    clock = WriteClock()
    at = clock.reserve(1)
    seq = clock.seq(at, 0)
    assert seq.time == tick_of_us(at) and bucket_of(seq.time) == at // 60_000_000 + bucket_of(tick_of_us(0))
    assert _order(after_tick(seq.time - 1)) < _order(seq) <= _order(after_tick(seq.time))


@given(
    st.lists(
        st.builds(
            OutboxEntry,
            st.binary(max_size=20),
            st.binary(max_size=50),
            st.integers(-(1 << 63), (1 << 63) - 1),
            st.lists(st.tuples(st.text(max_size=5), st.binary(max_size=5)), max_size=3).map(tuple),
        ),
        max_size=4,
    )
)
def test_entries_survive_their_blob_encoding_headers_in_order_and_repeated(entries):
    assert decode_entries(encode_entries(entries)) == entries


class CountingSession(InMemoryCassandraSession):
    """The emulation, counting the statements sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def execute(self, name, params):
        self.sent += 1
        return super().execute(name, params)


def test_an_idle_poll_is_one_small_read_per_shard_even_after_many_acknowledged_records():
    db, monotonic = CountingSession(), FakeClock()
    outbox = CassandraOutboxStore(db, monotonic=monotonic)
    parts = CassandraPostStore(db), CassandraGraphStore(db), CassandraOrgStore(db)
    store = Store(*parts, outbox, CassandraMarkerStore(db), CassandraQuietStore(db), CassandraRepostStore(db))
    tag = fresh_tag()
    for n in range(300):
        store.orgs.add_member(1, n + 1, outbox=[entry(tag, n)])
    drain(store)
    db.sent = 0
    assert outbox.pending(500) == []
    assert db.sent <= OUTBOX_SHARDS
    monotonic.advance(10)  # a rescan from the settled cursor, which the next polls then skip
    db.sent = 0
    outbox.pending(500)
    outbox.pending(500)
    assert db.sent <= 2 * (2 * OUTBOX_SHARDS) + OUTBOX_SHARDS  # two buckets at most, and saving the cursor
