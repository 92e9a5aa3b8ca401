"""The outbox of the Cassandra backend: records written in the LOGGED BATCH of their change.

Writers: record_ops() gives the rows of a change's records, which the post, graph
and org stores put in one logged batch with the change's own rows (Cassandra's
batchlog: all, or after a coordinator crash eventually all).

The relay (pending / acknowledge): records are read per shard in seq order and
deleted when acknowledged. Two positions per shard keep a poll cheap:
- head, in memory: reads start here. It is moved up to just before the first
  record still pending, but never closer to now than HEAD_LAG_S, so a write in
  flight (seq taken, batch not yet applied) is still read when it lands.
- settled (the floor, saved in outbox_cursor): a rescan every RESCAN_S reads
  from here, catching a write that landed behind head (a slow batch, a batchlog
  replay). It trails the clock by SETTLE_S, the longest a write may take to land;
  a write later than that is never published (docs/engines.md).
An idle poll is one small read per shard (8); the tombstones of acknowledged rows
are read again only by the rescans, at most SETTLE_S of them. The positions live in
one instance: one relay thread polls it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from feed.store.cassandra.outbox_layout import (
    BUCKET_TICKS,
    OUTBOX_SHARDS,
    OutboxPosition,
    WriteClock,
    ack_time_us,
    after_tick,
    bucket_of,
    decode_headers,
    encode_headers,
    now_us,
    shard_of,
    tick_of_us,
)
from feed.store.cassandra.session import CassandraSession
from feed.store.outbox import MAX_PENDING_BATCH, OutboxBacklog, OutboxEntry, OutboxRecord, OutboxStore

HEAD_LAG_S = 0.5  # a batch applies within this after its seq is taken, or a rescan finds it
RESCAN_S = 2.0  # how often pending() reads again from the settled cursor
SETTLE_S = 30.0  # the longest a logged batch may take to land (batchlog replay: 2 x write timeout + 10 s)
WINDOW = 16  # buckets of one shard read at once when catching up
BACKLOG_COUNT_CAP = 100_000  # backlog() counts at most this many records: its cost stays bounded
Op = tuple[str, tuple]
WRITE_CLOCK = WriteClock()  # one per process, shared by every store: its seqs never go back


def record_ops(clock: WriteClock, at_us: int, entries: Sequence[OutboxEntry]) -> list[Op]:
    """The outbox rows of one change written at at_us (from clock.reserve(len(entries))), in order."""
    ops = []
    for index, e in enumerate(entries):
        seq = clock.seq(at_us, index)
        row = (shard_of(e.key), bucket_of(seq.time), seq, e.key, e.value, encode_headers(e.headers), e.created_ms)
        ops.append(("outbox.insert", (*row, at_us)))
    return ops


def write_with_records(db: CassandraSession, outbox: Sequence[OutboxEntry], rows: Callable[[int], list[Op]]) -> None:
    """One logged batch of a change's rows (rows(at_us): written at at_us) and its outbox records."""
    at = WRITE_CLOCK.reserve(len(outbox))
    db.execute_batches([[*rows(at), *record_ops(WRITE_CLOCK, at, outbox)]])


class CassandraOutboxStore(OutboxStore):
    """Records by (shard, minute, seq); read from per-shard positions, deleted when acknowledged."""

    def __init__(self, db: CassandraSession, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._monotonic = monotonic
        self._settled: dict[int, int] = {}  # shard -> tick: every record at or before it is acknowledged
        self._head: dict[int, int] = {}  # shard -> tick: no record pending at or before it, as last read
        self._rescanned_at = -float("inf")

    def pending(self, limit: int) -> list[OutboxRecord]:
        limit = max(1, min(limit, MAX_PENDING_BATCH))
        self._load_cursor()
        now = tick_of_us(now_us())
        rescan = self._monotonic() - self._rescanned_at >= RESCAN_S
        starts = self._settled if rescan else self._head
        found = self._read(starts, now, limit)
        for shard, rows in found.items():
            # Race point: a record whose batch is still in flight has a seq below now; head stays
            # HEAD_LAG_S behind, so the next poll still reads where it will land.
            first = rows[0].seq.time - 1 if rows else now
            self._head[shard] = min(first, now - int(HEAD_LAG_S * 1e7))
            if rescan:
                self._settled[shard] = max(self._settled[shard], min(first, now - int(SETTLE_S * 1e7)))
        if rescan:
            self._save_cursor()
            self._rescanned_at = self._monotonic()
        records = [
            OutboxRecord(
                OutboxPosition(shard, bucket_of(row.seq.time), row.seq),
                OutboxEntry(bytes(row.key), bytes(row.value), row.created_ms, decode_headers(row.headers)),
            )
            for shard, rows in found.items()
            for row in rows
        ]
        records.sort(key=lambda r: r.position.seq.time)  # stable: one shard's rows keep the order read
        return records[:limit]

    def acknowledge(self, records: Sequence[OutboxRecord]) -> None:
        now = now_us()
        by_partition: dict[tuple[int, int], list[Op]] = defaultdict(list)
        for record in records:
            p: OutboxPosition = record.position  # type: ignore[assignment]
            by_partition[(p.shard, p.bucket)].append(
                ("outbox.delete", (ack_time_us(p.seq, now), p.shard, p.bucket, p.seq))
            )
        # One unlogged batch per partition: a single mutation each, all partitions in flight at once.
        self._db.execute_batches(list(by_partition.values()), logged=False)

    def backlog(self) -> OutboxBacklog:
        self._load_cursor()
        now = tick_of_us(now_us())
        per_shard = BACKLOG_COUNT_CAP // OUTBOX_SHARDS
        # From head, not the settled cursor: the same records less the tombstones of the settle
        # window (the relay asks every second); a late batch not yet rescanned is not counted.
        found = self._read(self._head, now, per_shard, statement="outbox.count")
        count = sum(len(rows) for rows in found.values())
        oldest = [rows[0].created_ms for rows in found.values() if rows]
        return OutboxBacklog(count, min(oldest) if oldest else None)

    def _read(self, starts: dict[int, int], now: int, limit: int, statement: str = "outbox.read") -> dict[int, list]:
        """Per shard, up to limit rows after its start, walking its minute buckets up to now's."""
        last_bucket = bucket_of(now)
        rows: dict[int, list] = {shard: [] for shard in range(OUTBOX_SHARDS)}
        next_bucket = {shard: bucket_of(starts[shard]) for shard in rows}
        window = 1
        while active := [s for s in rows if len(rows[s]) < limit and next_bucket[s] <= last_bucket]:
            futures = []
            for shard in active:
                buckets = range(next_bucket[shard], min(next_bucket[shard] + window, last_bucket + 1))
                bound = after_tick(starts[shard])
                for bucket in buckets:
                    params = (shard, bucket, bound, limit - len(rows[shard]))
                    futures.append((shard, self._db.execute_async(statement, params, fetch_size=limit)))
                next_bucket[shard] = buckets.stop
            for shard, future in futures:  # in bucket order per shard: rows stay in seq order
                rows[shard].extend(self._db.wait(future, "an outbox read"))
            window = min(window * 4, WINDOW)
        return {shard: shard_rows[:limit] for shard, shard_rows in rows.items()}

    def _load_cursor(self) -> None:
        """The settled cursor saved by an earlier relay; for a shard without one, where its records start."""
        if self._settled:
            return
        results = self._db.execute_many("outbox.cursor", [(shard,) for shard in range(OUTBOX_SHARDS)])
        saved = {shard: result.one() for shard, result in enumerate(results)}
        oldest: dict[int, int] = {}
        if any(row is None for row in saved.values()):
            # A first relay: one scan of the partition keys (at most 8 a minute for 7 days) finds them.
            for row in self._db.execute("outbox.buckets", ()):
                oldest[row.shard] = min(oldest.get(row.shard, row.bucket), row.bucket)
        recent = tick_of_us(now_us()) - int(SETTLE_S * 1e7)
        for shard, row in saved.items():
            if row is not None:
                self._settled[shard] = row.settled.time
            else:
                self._settled[shard] = oldest[shard] * BUCKET_TICKS - 1 if shard in oldest else recent
        self._head = dict(self._settled)

    def _save_cursor(self) -> None:
        # Saved as after_tick's timeuuid: `seq > settled` is exactly what is not settled yet.
        params = [(shard, after_tick(tick)) for shard, tick in self._settled.items()]
        self._db.execute_many("outbox.save_cursor", params)

    def close(self) -> None:
        self._db.close()
