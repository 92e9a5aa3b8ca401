"""The outbox's data layout on Cassandra, pure: shards, minute buckets, time-ordered seqs, blob codecs.

A record lives in outbox (shard, bucket, seq): shard = crc32(key) % OUTBOX_SHARDS,
so every record of one key is in one shard and comes out in seq order; bucket =
the seq's minute, so a partition holds one shard's minute and stays bounded.
seq is a timeuuid from WriteClock: strictly increasing within a process, and
its microsecond is also the write timestamp of every row of the same change
(USING TIMESTAMP), so the order records leave in is the order Cassandra's
last-write-wins applied their changes in (docs/engines.md, "The outbox on Cassandra").

Changing OUTBOX_SHARDS or the bucket width moves records of one key to other
partitions: treat them as schema (drain the outbox first).
"""

from __future__ import annotations

import dataclasses
import os
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Sequence

from feed.store.outbox import OutboxEntry

OUTBOX_SHARDS = 8  # partitions one poll reads: records of one key always share one
BUCKET_TICKS = 60 * 10_000_000  # one partition per shard per minute of seq time (ticks of 100 ns)
TICKS_PER_US = 10  # a timeuuid counts 100-ns ticks: ten seqs fit in one microsecond
GREGORIAN_OFFSET = 0x01B21DD213814000  # 100-ns ticks from 1582-10-15 (the UUID epoch) to 1970-01-01
_MAX_NODE, _MAX_CLOCK_SEQ = 0x7F7F7F7F7F7F, 0x3F7F  # compare highest as Cassandra compares (signed bytes)
_LEN = struct.Struct(">I")
_COUNT = struct.Struct(">H")
_MS = struct.Struct(">q")


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxPosition:
    """Where one record is stored: what acknowledge() deletes."""

    shard: int
    bucket: int
    seq: uuid.UUID


def shard_of(key: bytes) -> int:
    """The shard of a partition key: crc32 is stable across processes and Python versions (hash() is not)."""
    return zlib.crc32(key) % OUTBOX_SHARDS


def bucket_of(tick: int) -> int:
    """The minute bucket of a seq time in ticks."""
    return tick // BUCKET_TICKS


def tick_of_us(unix_us: int) -> int:
    """A microsecond Unix time as timeuuid ticks."""
    return unix_us * TICKS_PER_US + GREGORIAN_OFFSET


def us_of_tick(tick: int) -> int:
    return (tick - GREGORIAN_OFFSET) // TICKS_PER_US


def timeuuid(tick: int, node: int, clock_seq: int) -> uuid.UUID:
    """A version-1 UUID with the given time (ticks), node and clock sequence."""
    fields = (
        tick & 0xFFFFFFFF,
        (tick >> 32) & 0xFFFF,
        ((tick >> 48) & 0x0FFF) | 0x1000,
        ((clock_seq >> 8) & 0x3F) | 0x80,
        clock_seq & 0xFF,
        node,
    )
    return uuid.UUID(fields=fields)


def after_tick(tick: int) -> uuid.UUID:
    """The bound of `seq > ?` that skips every seq at or before tick and no later one."""
    return timeuuid(tick, _MAX_NODE, _MAX_CLOCK_SEQ)


def now_us() -> int:
    return time.time_ns() // 1000


class WriteClock:
    """Hands out write timestamps (µs) and outbox seqs, strictly increasing within the process.

    One change takes one timestamp for all its rows; its n records get the next n
    ticks from it, so records of one change keep their order, and the next change
    starts later still. A clock that steps back is held at the last value handed out.
    """

    def __init__(self, clock: Callable[[], int] = now_us) -> None:
        self._clock = clock
        self._next_us = 0
        self._lock = threading.Lock()
        # Random per process, as uuid1 makes them: two writers never make the same seq.
        self._node = int.from_bytes(os.urandom(6), "big") | 0x010000000000  # multicast bit: not a MAC
        self._clock_seq = int.from_bytes(os.urandom(2), "big") & 0x3FFF

    def reserve(self, records: int) -> int:
        """A write timestamp later than every one before, with room for `records` seqs after it."""
        with self._lock:
            at = max(self._clock(), self._next_us)
            self._next_us = at + max(1, -(-records // TICKS_PER_US))
            return at

    def seq(self, at_us: int, index: int) -> uuid.UUID:
        """The seq of the index-th record of the change written at at_us."""
        return timeuuid(tick_of_us(at_us) + index, self._node, self._clock_seq)


def ack_time_us(seq: uuid.UUID, now: int) -> int:
    """A delete timestamp later than the record's insert (written at its seq's µs), even if this clock lags."""
    return max(now, us_of_tick(seq.time) + 1)


def encode_headers(headers: Sequence[tuple[str, bytes]]) -> bytes:
    """Headers as one blob: a count, then each name and value length-prefixed (order and repeats kept)."""
    parts = [_COUNT.pack(len(headers))]
    for name, value in headers:
        parts += [_chunk(name.encode("utf-8")), _chunk(value)]
    return b"".join(parts)


def decode_headers(blob: bytes | None) -> tuple[tuple[str, bytes], ...]:
    if not blob:
        return ()
    reader = _Reader(blob)
    return tuple((reader.chunk().decode("utf-8"), reader.chunk()) for _ in range(reader.count()))


def encode_entries(entries: Sequence[OutboxEntry]) -> bytes:
    """Whole entries as one blob: what an idempotency claim keeps so a retry can finish the first call."""
    parts = [_COUNT.pack(len(entries))]
    for e in entries:
        parts += [_chunk(e.key), _chunk(e.value), _MS.pack(e.created_ms), _chunk(encode_headers(e.headers))]
    return b"".join(parts)


def decode_entries(blob: bytes | None) -> list[OutboxEntry]:
    if not blob:
        return []
    reader = _Reader(blob)
    return [
        OutboxEntry(reader.chunk(), reader.chunk(), reader.ms(), decode_headers(reader.chunk()))
        for _ in range(reader.count())
    ]


def _chunk(data: bytes) -> bytes:
    return _LEN.pack(len(data)) + data


class _Reader:
    def __init__(self, blob: bytes) -> None:
        self._blob, self._at = bytes(blob), 0

    def _take(self, size: int) -> bytes:
        data = self._blob[self._at : self._at + size]
        if len(data) != size:
            raise ValueError("truncated outbox blob")
        self._at += size
        return data

    def count(self) -> int:
        return _COUNT.unpack(self._take(_COUNT.size))[0]

    def ms(self) -> int:
        return _MS.unpack(self._take(_MS.size))[0]

    def chunk(self) -> bytes:
        return self._take(_LEN.unpack(self._take(_LEN.size))[0])
