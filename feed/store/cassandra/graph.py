"""The follow graph in Cassandra: edges stored both ways in bucketed partitions, counts in a counter.

A user's edges are spread over EDGE_BUCKETS partitions by a hash of the other
id, so an account with tens of millions of followers is 64 partitions of
bounded size, read in bucket order (see edges.py). `following` is the
edge of record, written only by lightweight transactions; `followers` mirrors
it for fan-out. Blocks are kept the same way: `blocks` of record, `blocked_by`
mirroring it so a purge finds both directions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from feed.domain import Page
from feed.store.base import GraphStore, Outbox
from feed.store.cassandra.bulk import batches, run_grouped
from feed.store.cassandra.edges import Edges, chunked
from feed.store.cassandra.layout import BLOCKED_BY, BLOCKS, FOLLOWERS, FOLLOWING
from feed.store.cassandra.outbox import write_with_records
from feed.store.cassandra.session import CassandraSession

SCAN_FETCH_SIZE = 5000  # rows per driver page when scanning users


class CassandraGraphStore(GraphStore):
    """Follow edges in `following` (by follower) and `followers` (by followee), both bucketed."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db
        self._following = Edges(db, FOLLOWING)
        self._followers = Edges(db, FOLLOWERS)
        self._blocks = Edges(db, BLOCKS)
        self._blocked_by = Edges(db, BLOCKED_BY)

    def follow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        # Only LWTs write `following`, so of any number of concurrent or retried follows
        # exactly one sees "applied", and only that one moves the counter. The LWT sits on
        # the follower's partition: on the followee's, a celebrity gaining followers would
        # make every follow contend for one Paxos round.
        added = self._following.add(follower_id, followee_id)
        if added:
            # Right after the LWT, so only a crash or a timeout between the two (neither is
            # retried: a counter update is not idempotent) leaves the count off by one.
            self._db.execute("add_follower_count", (1, followee_id))
        # Always (re)written, the mirror with the outbox records in one logged batch: the
        # retry of a follow that died after its LWT completes it and records its events.
        write_with_records(
            self._db,
            outbox,
            lambda at: [
                self._followers.add_at_op(followee_id, follower_id, at),
                ("insert_user", (follower_id,)),
                ("insert_user", (followee_id,)),
            ],
        )
        return added

    def load_follows(self, edges: Iterable[tuple[int, int]]) -> None:
        # follow() a batch at a time: the LWTs decide which edges are new, only those move the
        # counters, and the mirror and user rows are always (re)written.
        for batch in batches(edges):
            added = self._following.add_each(batch)
            gained = Counter(followee for (_, followee), new in zip(batch, added, strict=True) if new)
            self._db.execute_many("add_follower_count", [(n, followee) for followee, n in gained.items()])
            users = {user for edge in batch for user in edge}
            mirror = [self._followers.add_op(followee, follower) for follower, followee in batch]
            run_grouped(self._db, [*mirror, *(("insert_user", (user,)) for user in users)])

    def unfollow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        # The mirror image of follow: the LWT decides, the counter follows it, the mirror is
        # always removed, with the records. A follow racing an unfollow of the same edge may
        # leave the mirror disagreeing with `following` until the next follow or unfollow of
        # that edge; the mirror then agrees with the order the records are published in.
        removed = self._following.remove(follower_id, followee_id)
        if removed:
            self._db.execute("add_follower_count", (-1, followee_id))
        write_with_records(self._db, outbox, lambda at: [self._followers.remove_at_op(followee_id, follower_id, at)])
        return removed

    def is_following(self, follower_id: int, followee_id: int) -> bool:
        return self._following.has(follower_id, followee_id)

    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        return self._following.among(follower_id, candidate_ids)

    def block(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        # The block and the end of the follows both ways are three LWTs (no batch can hold
        # them), sent together; each follow removed is counted as unfollow counts it.
        pairs = [(blocker_id, blocked_id), (blocked_id, blocker_id)]
        results = self._db.execute_all(
            [self._blocks.add_op(blocker_id, blocked_id), *(self._following.remove_op(a, b) for a, b in pairs)]
        )
        added, *unfollowed = (bool(result.was_applied) for result in results)
        decrements = [(-1, followee) for (_, followee), done in zip(pairs, unfollowed, strict=True) if done]
        if decrements:
            self._db.execute_many("add_follower_count", decrements)
        # Always: completes a block that died half way, mirrors and records in one logged batch.
        write_with_records(
            self._db,
            outbox,
            lambda at: [
                self._blocked_by.add_at_op(blocked_id, blocker_id, at),
                *(self._followers.remove_at_op(followee, follower, at) for follower, followee in pairs),
            ],
        )
        return added

    def unblock(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        removed = self._blocks.remove(blocker_id, blocked_id)
        write_with_records(self._db, outbox, lambda at: [self._blocked_by.remove_at_op(blocked_id, blocker_id, at)])
        return removed

    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        return self._blocks.has(blocker_id, blocked_id)

    def blocked_among(self, blocker_id: int, candidate_ids: Iterable[int]) -> set[int]:
        return self._blocks.among(blocker_id, candidate_ids)

    def blocked_either_way_among(self, user_id: int, candidate_ids: Iterable[int]) -> set[int]:
        # Both ways from `blocks`, the table of record that is_blocked reads too, not its `blocked_by`
        # mirror, which lacks the blocks made before 003 and those of a block call that died half way.
        return self._blocks.linked_among(user_id, candidate_ids)

    def list_blocked(self, blocker_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._blocks.page(blocker_id, page_size, page_token)

    def purge_user(self, user_id: int) -> None:
        # Each step removes mirror rows before the rows of record they were found from, and
        # a partition is dropped only after the walk over it: a purge that dies half way is
        # finished by running it again.
        self._purge_following(user_id)
        # Those who follow the user: their `following` rows go; the user's own counter and
        # mirror partitions are dropped whole at the end, not decremented one by one.
        for followers in chunked(self._followers.iterate(user_id)):
            self._following.remove_each([(follower, user_id) for follower in followers])
        self._followers.drop(user_id)
        self._db.execute("delete_follower_count", (user_id,))
        # Blocks the user made, then blocks made of the user (found through the mirror).
        blocked = list(self._blocks.iterate(user_id))  # bounded by what one user did
        self._blocked_by.remove_each([(other, user_id) for other in blocked])
        self._blocks.drop(user_id)
        for blockers in chunked(self._blocked_by.iterate(user_id)):
            self._blocks.remove_each([(blocker, user_id) for blocker in blockers])
        self._blocked_by.drop(user_id)
        self._db.execute("delete_user", (user_id,))

    def _purge_following(self, user_id: int) -> None:
        """Unfollow everyone user_id follows: each of them loses a follower, counted as unfollow counts."""
        followees = list(self._following.iterate(user_id))  # bounded by what one user did
        for chunk in chunked(followees):
            self._followers.remove_each([(followee, user_id) for followee in chunk])
            removed = self._following.remove_each([(user_id, followee) for followee in chunk])
            decrements = [(-1, followee) for followee, done in zip(chunk, removed, strict=True) if done]
            self._db.execute_many("add_follower_count", decrements)

    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._followers.page(user_id, page_size, page_token)

    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._following.page(user_id, page_size, page_token)

    def follower_count(self, user_id: int) -> int:
        row = self._db.execute("select_follower_count", (user_id,)).one()
        # max: a count that drifted below zero (see follow) must not show as negative
        return max(0, row.followers or 0) if row is not None else 0

    def iter_following(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every account user_id follows, streamed bucket by bucket with the driver's paging (page_size rows a
        fetch)."""
        yield from self._following.iterate(user_id, page_size)

    def iter_user_ids(self) -> Iterator[int]:
        # A paged scan of `users` (one row per partition), written on every follow, post and
        # binding, instead of a scan of the far larger edge tables.
        yield from (row.user_id for row in self._db.stream("scan_users", (), SCAN_FETCH_SIZE))

    def close(self) -> None:
        self._db.close()
