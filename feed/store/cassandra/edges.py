"""Bucketed edge tables in Cassandra: one owner's ids spread over EDGE_BUCKETS partitions.

Follows, blocks, organization users and group memberships all have the same
shape, PRIMARY KEY ((owner, bucket), other) with bucket = edge_bucket(other), so
they share one set of statements (layout.edge_statements) and the
operations here: add, remove, bulk lookup, paging, streaming, dropping.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from feed.domain import Page
from feed.errors import InvalidArgument
from feed.store.cassandra.layout import (
    EDGE_BUCKETS,
    START,
    EdgeCursor,
    EdgeTable,
    decode_page_token,
    edge_bucket,
    encode_page_token,
)
from feed.store.cassandra.session import CassandraSession

MAX_WINDOW = 32  # buckets one page reads at once: a small account's page is 3 round trips, not 64
PREFETCH_BUCKETS = 4  # buckets an iteration reads ahead of the one it yields from
SCAN_FETCH_SIZE = 5000  # rows per driver page when a purge walks an owner's edges
PURGE_CHUNK = 1000  # edges a purge removes per batch of concurrent statements
_MAX_LIMIT = (1 << 31) - 1  # CQL LIMIT is a 32-bit int

# fetch(requests, limit): for each (bucket, after), up to limit ids > after of that bucket, ascending
Fetch = Callable[[list[tuple[int, int]], int], list[list[int]]]


def plan_window(need: int, rows_seen: int, buckets_seen: int, buckets_left: int) -> int:
    """How many buckets to read at once: enough to fill the page at the density seen so far.

    The first read is one bucket, which measures the density; an account whose
    buckets hold thousands of ids then fills a page from one bucket, and one
    with a few followers reads the rest MAX_WINDOW at a time.
    """
    if buckets_seen == 0:
        return 1
    if rows_seen == 0:
        return min(buckets_left, MAX_WINDOW)
    wanted = math.ceil(need * buckets_seen / rows_seen)
    return max(1, min(buckets_left, MAX_WINDOW, wanted))


def walk_page(fetch: Fetch, page_size: int, cursor: EdgeCursor) -> Page:
    """One page of ids, walking buckets in order and ids ascending within a bucket.

    The token names the bucket and the last id returned, so every id appears
    exactly once across a walk, whatever the page sizes. Asking each bucket for
    one id more than fits tells a full bucket from an exhausted one.
    """
    ids: list[int] = []
    bucket, after = cursor.bucket, cursor.after
    rows_seen = buckets_seen = 0
    while bucket < EDGE_BUCKETS:
        need = page_size - len(ids)
        window = plan_window(need, rows_seen, buckets_seen, EDGE_BUCKETS - bucket)
        requests = [(b, after if b == bucket else START) for b in range(bucket, bucket + window)]
        for (b, _), rows in zip(requests, fetch(requests, need + 1), strict=True):
            room = page_size - len(ids)
            if len(rows) > room:  # the page is full and this bucket holds more
                ids.extend(rows[:room])
                return Page(ids, encode_page_token(EdgeCursor(b, ids[-1])))
            ids.extend(rows)
            rows_seen, buckets_seen = rows_seen + len(rows), buckets_seen + 1
            if len(ids) == page_size:
                return Page(ids, encode_page_token(EdgeCursor(b + 1)) if b + 1 < EDGE_BUCKETS else None)
        bucket, after = bucket + window, START
    return Page(ids, None)


def chunked(ids: Iterable[int], size: int = PURGE_CHUNK) -> Iterator[list[int]]:
    """ids in lists of up to size, so a purge streams an owner's edges instead of loading them all."""
    chunk: list[int] = []
    for item in ids:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Edges:
    """The operations on one edge table, through the session's prepared "<table>.<verb>" statements."""

    def __init__(self, db: CassandraSession, table: EdgeTable) -> None:
        self._db = db
        self.table = table
        self._name = table.name

    def add(self, owner: int, other: int) -> bool:
        """Write the edge; on the table of record, True only for the one call that created it."""
        result = self._db.execute(f"{self._name}.add", (owner, edge_bucket(other), other))
        return bool(result.was_applied) if self.table.lwt else True

    def add_op(self, owner: int, other: int) -> tuple[str, tuple[int, int, int]]:
        """add() as a (statement, parameters) pair, to run beside others in CassandraSession.execute_all."""
        return f"{self._name}.add", (owner, edge_bucket(other), other)

    def remove_op(self, owner: int, other: int) -> tuple[str, tuple[int, int, int]]:
        """remove() as a (statement, parameters) pair, to run beside others in CassandraSession.execute_all."""
        return f"{self._name}.remove", (owner, edge_bucket(other), other)

    def add_at_op(self, owner: int, other: int, at_us: int) -> tuple[str, tuple[int, int, int, int]]:
        """A mirror's add written at at_us, for the logged batch of a change and its outbox records."""
        return f"{self._name}.add_at", (owner, edge_bucket(other), other, at_us)

    def remove_at_op(self, owner: int, other: int, at_us: int) -> tuple[str, tuple[int, int, int, int]]:
        """A mirror's remove written at at_us, for the logged batch of a change and its outbox records."""
        return f"{self._name}.remove_at", (at_us, owner, edge_bucket(other), other)

    def add_each(self, edges: list[tuple[int, int]]) -> list[bool]:
        """add() for each (owner, other), CONCURRENCY at a time; the answers in order."""
        results = self._db.execute_many(f"{self._name}.add", [(o, edge_bucket(x), x) for o, x in edges])
        return [bool(result.was_applied) if self.table.lwt else True for result in results]

    def remove(self, owner: int, other: int) -> bool:
        """Delete the edge; on the table of record, True only for the one call that removed it."""
        result = self._db.execute(f"{self._name}.remove", (owner, edge_bucket(other), other))
        return bool(result.was_applied) if self.table.lwt else True

    def remove_each(self, edges: list[tuple[int, int]]) -> list[bool]:
        """remove() for each (owner, other), CONCURRENCY at a time; the answers in order."""
        results = self._db.execute_many(f"{self._name}.remove", [(o, edge_bucket(x), x) for o, x in edges])
        return [bool(result.was_applied) if self.table.lwt else True for result in results]

    def has(self, owner: int, other: int) -> bool:
        return self._db.execute(f"{self._name}.has", (owner, edge_bucket(other), other)).one() is not None

    def among(self, owner: int, candidates: Iterable[int]) -> set[int]:
        """The candidates with an edge from owner: one query per bucket they fall in, all in flight at once."""
        return {row[0] for future in self._start_among(owner, candidates) for row in self._db.wait(future)}

    def linked_among(self, node: int, candidates: Iterable[int]) -> set[int]:
        """The candidates with an edge from node or to node. The edges to node are in the candidates'
        own partitions: one point query each, in flight at once with among's, so one round trip in all."""
        candidates = list(dict.fromkeys(candidates))
        outgoing = self._start_among(node, candidates)
        bucket = edge_bucket(node)
        incoming = [(c, self._db.execute_async(f"{self._name}.has", (c, bucket, node))) for c in candidates]
        found = {row[0] for future in outgoing for row in self._db.wait(future)}
        return found | {c for c, future in incoming if self._db.wait(future).one() is not None}

    def _start_among(self, owner: int, candidates: Iterable[int]) -> list[Any]:
        by_bucket: dict[int, list[int]] = defaultdict(list)
        for candidate in dict.fromkeys(candidates):
            by_bucket[edge_bucket(candidate)].append(candidate)
        return [
            self._db.execute_async(f"{self._name}.among", (owner, bucket, ids), fetch_size=len(ids))
            for bucket, ids in by_bucket.items()
        ]

    def page(self, owner: int, page_size: int, page_token: str | None) -> Page:
        """One page of owner's ids (see walk_page); the token is opaque to callers."""
        if page_size < 1:
            raise InvalidArgument(f"page_size must be at least 1, got {page_size}")
        cursor = decode_page_token(page_token)
        statement = f"{self._name}.page"

        def fetch(requests: list[tuple[int, int]], limit: int) -> list[list[int]]:
            limit = min(limit, _MAX_LIMIT)
            futures = [
                self._db.execute_async(statement, (owner, bucket, after, limit), fetch_size=limit)
                for bucket, after in requests
            ]
            return [[row[0] for row in self._db.wait(future)] for future in futures]

        return walk_page(fetch, page_size, cursor)

    def iterate(self, owner: int, fetch_size: int = SCAN_FETCH_SIZE) -> Iterator[int]:
        """Every id of owner, streamed bucket by bucket with the driver's paging (fetch_size rows a fetch)."""
        if fetch_size < 1:
            raise InvalidArgument(f"page_size must be at least 1, got {fetch_size}")
        statement = f"{self._name}.scan"
        # A few buckets are read ahead, so the round trips of a small account's 64 mostly
        # empty partitions overlap; memory stays at PREFETCH_BUCKETS + 1 driver pages.
        pending: deque = deque()
        for bucket in range(EDGE_BUCKETS):
            pending.append(self._db.execute_async(statement, (owner, bucket), fetch_size=fetch_size))
            if len(pending) > PREFETCH_BUCKETS:
                yield from (row[0] for row in self._db.stream_started(pending.popleft()))
        while pending:
            yield from (row[0] for row in self._db.stream_started(pending.popleft()))

    def drop(self, owner: int) -> None:
        """Delete every edge of owner, a partition delete per bucket (purges only)."""
        self._db.execute_many(f"{self._name}.drop", [(owner, bucket) for bucket in range(EDGE_BUCKETS)])
