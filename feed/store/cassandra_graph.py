"""The follow graph in Cassandra: edges stored both ways in bucketed partitions, counts in a counter.

A user's edges are spread over EDGE_BUCKETS partitions by a hash of the other
id, so an account with tens of millions of followers is 64 partitions of
bounded size, read in bucket order. `following` is the edge of record, written
only by lightweight transactions; `followers` mirrors it for fan-out.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator

from feed.domain import Page
from feed.errors import InvalidArgument
from feed.store.base import GraphStore
from feed.store.cassandra_layout import (
    EDGE_BUCKETS,
    START,
    EdgeCursor,
    decode_page_token,
    edge_bucket,
    encode_page_token,
)
from feed.store.cassandra_session import CassandraSession

MAX_WINDOW = 32  # buckets one page reads at once: a small account's page is 3 round trips, not 64
PREFETCH_BUCKETS = 4  # buckets an iteration reads ahead of the one it yields from
SCAN_FETCH_SIZE = 5000  # rows per driver page when scanning users
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


class CassandraGraphStore(GraphStore):
    """Follow edges in `following` (by follower) and `followers` (by followee), both bucketed."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def follow(self, follower_id: int, followee_id: int) -> bool:
        # Only LWTs write `following`, so of any number of concurrent or retried follows
        # exactly one sees "applied", and only that one moves the counter. The LWT sits on
        # the follower's partition: on the followee's, a celebrity gaining followers would
        # make every follow contend for one Paxos round.
        edge = self._db.execute("insert_following_if_new", (follower_id, edge_bucket(followee_id), followee_id))
        added = bool(edge.was_applied)
        if added:
            # Right after the LWT, so only a crash or a timeout between the two (neither is
            # retried: a counter update is not idempotent) leaves the count off by one.
            self._db.execute("add_follower_count", (1, followee_id))
        # Always (re)written: the retry of a follow that died half way completes it.
        self._db.execute_all(
            [
                ("insert_follower", (followee_id, edge_bucket(follower_id), follower_id)),
                ("insert_user", (follower_id,)),
                ("insert_user", (followee_id,)),
            ]
        )
        return added

    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        # The mirror image of follow: the LWT decides, the counter follows it, the mirror is
        # always removed. A follow racing an unfollow of the same edge may leave the mirror
        # disagreeing with `following` until the next follow or unfollow of that edge.
        edge = self._db.execute("delete_following_if_present", (follower_id, edge_bucket(followee_id), followee_id))
        removed = bool(edge.was_applied)
        if removed:
            self._db.execute("add_follower_count", (-1, followee_id))
        self._db.execute("delete_follower", (followee_id, edge_bucket(follower_id), follower_id))
        return removed

    def is_following(self, follower_id: int, followee_id: int) -> bool:
        edge = self._db.execute("select_following_edge", (follower_id, edge_bucket(followee_id), followee_id))
        return edge.one() is not None

    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        # One query per bucket the candidates fall in, all in flight at once.
        by_bucket: dict[int, list[int]] = defaultdict(list)
        for candidate in dict.fromkeys(candidate_ids):
            by_bucket[edge_bucket(candidate)].append(candidate)
        futures = [
            self._db.execute_async("select_following_among", (follower_id, bucket, ids), fetch_size=len(ids))
            for bucket, ids in by_bucket.items()
        ]
        return {row[0] for future in futures for row in self._db.wait(future)}

    def block(self, blocker_id: int, blocked_id: int) -> bool:
        result = self._db.execute("insert_block_if_new", (blocker_id, edge_bucket(blocked_id), blocked_id))
        return bool(result.was_applied)

    def unblock(self, blocker_id: int, blocked_id: int) -> bool:
        result = self._db.execute("delete_block_if_present", (blocker_id, edge_bucket(blocked_id), blocked_id))
        return bool(result.was_applied)

    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        return self._db.execute("select_block", (blocker_id, edge_bucket(blocked_id), blocked_id)).one() is not None

    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._page("page_followers", user_id, page_size, page_token)

    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._page("page_following", user_id, page_size, page_token)

    def _page(self, statement: str, user_id: int, page_size: int, page_token: str | None) -> Page:
        if page_size < 1:
            raise InvalidArgument(f"page_size must be at least 1, got {page_size}")
        cursor = decode_page_token(page_token)

        def fetch(requests: list[tuple[int, int]], limit: int) -> list[list[int]]:
            limit = min(limit, _MAX_LIMIT)
            futures = [
                self._db.execute_async(statement, (user_id, bucket, after, limit), fetch_size=limit)
                for bucket, after in requests
            ]
            return [[row[0] for row in self._db.wait(future)] for future in futures]

        return walk_page(fetch, page_size, cursor)

    def follower_count(self, user_id: int) -> int:
        row = self._db.execute("select_follower_count", (user_id,)).one()
        # max: a count that drifted below zero (see follow) must not show as negative
        return max(0, row.followers or 0) if row is not None else 0

    def iter_followers(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every follower, streamed bucket by bucket with the driver's paging (page_size rows a fetch)."""
        yield from self._stream("scan_followers", user_id, page_size)

    def iter_following(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every account user_id follows, streamed like iter_followers."""
        yield from self._stream("scan_following", user_id, page_size)

    def _stream(self, statement: str, user_id: int, fetch_size: int) -> Iterator[int]:
        if fetch_size < 1:
            raise InvalidArgument(f"page_size must be at least 1, got {fetch_size}")
        # A few buckets are read ahead, so the round trips of a small account's 64 mostly
        # empty partitions overlap; memory stays at PREFETCH_BUCKETS + 1 driver pages.
        pending: deque = deque()
        for bucket in range(EDGE_BUCKETS):
            pending.append(self._db.execute_async(statement, (user_id, bucket), fetch_size=fetch_size))
            if len(pending) > PREFETCH_BUCKETS:
                yield from (row[0] for row in self._db.stream_started(pending.popleft()))
        while pending:
            yield from (row[0] for row in self._db.stream_started(pending.popleft()))

    def iter_user_ids(self) -> Iterator[int]:
        # A paged scan of `users` (one row per partition), written on every follow and
        # post, instead of a scan of the far larger edge tables.
        yield from (row.user_id for row in self._db.stream("scan_users", (), SCAN_FETCH_SIZE))

    def close(self) -> None:
        self._db.close()
