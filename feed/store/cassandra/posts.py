"""Posts in Cassandra: by id, and listed per author or per group in 30-day partitions, newest first."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from feed.domain import Post
from feed.ids import MAX_ID
from feed.store.base import Outbox, PostStore
from feed.store.cassandra.bulk import batches, run_grouped
from feed.store.cassandra.layout import author_bucket, delete_time_us, write_time_us
from feed.store.cassandra.outbox import write_with_records
from feed.store.cassandra.outbox_layout import decode_entries, encode_entries
from feed.store.cassandra.session import CassandraSession

_MAX_LIMIT = (1 << 31) - 1  # CQL LIMIT is a 32-bit int
OWNER_GRACE_S = 2.0  # a live claim owner writes its posts row within milliseconds; past this it is presumed dead
OWNER_POLL_S = 0.01
SCAN_FETCH_SIZE = 5000  # rows per driver page when purge_author reads one bucket of post ids


class CassandraPostStore(PostStore):
    """Posts by id, and each author's or group's posts in 30-day partitions, newest first.

    A post to followers is listed under its author (posts_by_author), a group post
    under its group only (posts_by_group); author_post_ids indexes both, deleted
    ones too, for purge_author. Creation writes with timestamps taken
    from the post id (write_time_us), so a replayed create is a no-op and cannot
    undo a delete. A post's rows and its outbox records go in one logged batch; with an
    idempotency key, a claim (an LWT, which no batch can hold) comes first and keeps
    the request, so a retry finishes a call that died between the two.
    """

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def create_post(self, post: Post, idempotency_key: str = "", outbox: Outbox = ()) -> tuple[Post, bool]:
        if idempotency_key:
            # The LWT picks one winner among concurrent retries; the others get its claim.
            claim = self._claim(post, idempotency_key, outbox)
            if not claim.was_applied:
                return self._replay(post, claim.one(), idempotency_key)
        self._commit(post, idempotency_key, outbox)
        return post, True

    def _claim(self, post: Post, idempotency_key: str, outbox: Outbox) -> Any:
        """Step one of a keyed create: claim the key, keeping the whole request (post and records) in the claim.

        An LWT cannot share a batch with other partitions; keeping the request lets
        a retry finish exactly this call if it dies before step two (_replay)."""
        p = post
        params = (p.author_id, idempotency_key, p.post_id, p.text, p.create_time_ms, p.group_id, p.org_id)
        return self._db.execute("claim_idempotency_key", (*params, encode_entries(outbox)))

    def _replay(self, post: Post, claim: Any, idempotency_key: str) -> tuple[Post, bool]:
        row = self._await_post(claim.post_id)
        if row is not None:  # deleted or not: a retry must not bring back a deleted post
            return _post(row), False
        # The claim's owner died between its claim and its batch (or is slower than
        # OWNER_GRACE_S). Finish its work from the claim: the same post, the same records, so
        # the key names exactly one post and its events are those of that post. A slow owner
        # writing too writes the same cells at the same timestamps, and its records again
        # (fresh seqs: published twice, which at-least-once allows).
        if claim.text is not None:
            first = Post(
                claim.post_id, post.author_id, claim.text, claim.create_time_ms, claim.group_id or 0, claim.org_id or 0
            )
            self._commit(first, idempotency_key, decode_entries(claim.outbox))
            return first, True
        # A claim made before 004 kept only the id: finish it with this call's post, without
        # records, which would describe this call's post id rather than the claimed one.
        claimed = dataclasses.replace(post, post_id=claim.post_id)
        self._commit(claimed, idempotency_key, ())
        return claimed, True

    def _await_post(self, post_id: int) -> Any:
        """The posts row of a claimed id, waiting up to OWNER_GRACE_S for its owner to write it."""
        # Race point: a concurrent retry loses the claim while the winner is still writing its
        # batch. Taking over at once would have both report "created" (seen on a real node).
        deadline = time.monotonic() + OWNER_GRACE_S
        while (row := self._db.execute("select_post", (post_id,)).one()) is None and time.monotonic() < deadline:
            time.sleep(OWNER_POLL_S)
        return row

    def _commit(self, post: Post, idempotency_key: str, outbox: Outbox) -> None:
        """Step two: the post's rows and its outbox records in one logged batch: all, or none."""
        # The post's rows keep their id-derived timestamps (a replay cannot undo a delete).
        write_with_records(
            self._db, outbox, lambda at: [*_listing_ops(post), ("insert_post", _post_row(post, idempotency_key))]
        )

    def load_posts(self, posts: Iterable[Post]) -> None:
        # Without records or a batch per post (a seed): every listing row of a chunk, then its posts rows.
        for batch in batches(posts):
            run_grouped(self._db, (op for post in batch for op in _listing_ops(post)))
            self._db.execute_many("insert_post", [_post_row(post, "") for post in batch])

    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        ids = list(dict.fromkeys(post_ids))
        found: dict[int, Post] = {}
        # One single-partition read per id, in parallel: token-aware routing sends each to a
        # replica, where `post_id IN (...)` would make one coordinator gather them all.
        for result in self._db.execute_many("select_post", [(post_id,) for post_id in ids]):
            row = result.one()
            if row is not None and not row.deleted:
                found[row.post_id] = _post(row)
        return found

    def delete_post(self, post_id: int, outbox: Outbox = ()) -> bool:
        row = self._db.execute("select_post", (post_id,)).one()
        # Unlist with the records (recorded on every call) first, then flag: a delete that dies
        # between the two is completed by its retry, which unlists and records again.
        if row is not None or outbox:
            write_with_records(
                self._db, outbox, lambda at: [] if row is None else [_unlist_op(row, delete_time_us(post_id, at))]
            )
        if row is None:
            return False
        # An LWT, so that of two concurrent deletes exactly one reports True.
        return bool(self._db.execute("mark_post_deleted", (post_id,)).was_applied)

    def find_post(self, post_id: int) -> tuple[Post, bool] | None:
        row = self._db.execute("select_post", (post_id,)).one()
        return None if row is None else (_post(row), bool(row.deleted))

    def purge_post(self, post_id: int) -> None:
        row = self._db.execute("select_post", (post_id,)).one()
        if row is None:
            return
        at = delete_time_us(post_id, time.time_ns() // 1000)
        self._db.execute(*_unlist_op(row, at))
        if row.idempotency_key:  # null or "" in posts made without a key, or before 003
            self._db.execute("release_idempotency_key", (row.author_id, row.idempotency_key))
        self._db.execute("delete_author_post_id", (at, row.author_id, author_bucket(post_id), post_id))
        # Last, so a purge that dies half way still finds what to unlist when run again.
        # Later than the creation's timestamp: a replayed create cannot bring it back.
        self._db.execute("purge_post", (at, post_id))

    def purge_author(self, author_id: int) -> None:
        # Bucket by bucket, through the index of every post the author made; posts made
        # before 003 are not indexed, but the live ones among them are listed.
        for row in list(self._db.execute("select_author_buckets", (author_id,))):
            params = (author_id, row.bucket)
            post_ids = {r.post_id for r in self._db.stream("scan_author_post_ids", params, SCAN_FETCH_SIZE)}
            post_ids |= {r.post_id for r in self._db.stream("scan_author_posts", params, SCAN_FETCH_SIZE)}
            for post_id in sorted(post_ids):
                self.purge_post(post_id)
        # Last: a purge that dies half way still finds the buckets when run again.
        self._db.execute("drop_author_buckets", (author_id,))

    def list_author_posts(
        self, author_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        def post(row: Any) -> Post:
            return Post(row.post_id, author_id, row.text, row.create_time_ms, 0, row.org_id or 0)

        return self._list("select_author_buckets", "select_author_posts", author_id, before_id, limit, post, after_id)

    def list_group_posts(
        self, group_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        def post(row: Any) -> Post:
            return Post(row.post_id, row.author_id, row.text, row.create_time_ms, group_id, row.org_id or 0)

        return self._list("select_group_buckets", "select_group_posts", group_id, before_id, limit, post, after_id)

    def _list(
        self,
        buckets_statement: str,
        posts_statement: str,
        owner_id: int,
        before_id: int | None,
        limit: int,
        make: Callable[[Any], Post],
        after_id: int | None = None,
    ) -> list[Post]:
        """Up to limit posts of one author or group with id < before_id, walking its buckets newest first;
        given after_id, the oldest limit above it, walking them oldest first (answered newest first)."""
        if limit < 1:
            return []
        # MAX_ID is never issued, so "< MAX_ID" with no cursor misses nothing
        before = MAX_ID if before_id is None else before_id
        newest = author_bucket(before)
        oldest = -1 if after_id is None else author_bucket(after_id)
        # The owner's non-empty buckets, newest first: years of silence cost no reads.
        rows = self._db.execute(buckets_statement, (owner_id,))
        buckets = [row.bucket for row in rows if oldest <= row.bucket <= newest]
        if after_id is not None:
            buckets.reverse()
        posts: list[Post] = []
        for bucket in buckets:
            want = min(limit - len(posts), _MAX_LIMIT)
            if after_id is None:
                found = self._db.execute(posts_statement, (owner_id, bucket, before, want))
            else:
                found = self._db.execute(f"{posts_statement}_after", (owner_id, bucket, after_id, before, want))
            posts.extend(make(row) for row in found)
            if len(posts) >= limit:
                break
        return posts if after_id is None else posts[::-1]

    def close(self) -> None:
        self._db.close()


def _post(row: Any) -> Post:
    """A Post from a `posts` row; group_id and org_id are null in rows written before 003."""
    return Post(
        post_id=row.post_id,
        author_id=row.author_id,
        text=row.text,
        create_time_ms=row.create_time_ms,
        group_id=row.group_id or 0,
        org_id=row.org_id or 0,
    )


def _unlist_op(row: Any, at: int) -> tuple[str, tuple]:
    """The delete of a post's listing row (its group's or its author's) with write timestamp at."""
    bucket = author_bucket(row.post_id)
    if row.group_id:
        return "delete_group_post", (at, row.group_id, bucket, row.post_id)
    return "delete_author_post", (at, row.author_id, bucket, row.post_id)


def _listing_ops(p: Post) -> list[tuple[str, tuple]]:
    """The rows that list a post (its group's or its author's) and index it under its author,
    written with timestamps from the post id: a replayed create is a no-op."""
    at = write_time_us(p.post_id)
    bucket = author_bucket(p.post_id)
    if p.group_id:
        listing = [
            ("insert_group_bucket", (p.group_id, bucket, at)),
            ("insert_group_post", (p.group_id, bucket, p.post_id, p.author_id, p.text, p.create_time_ms, p.org_id, at)),
        ]
    else:
        listing = [("insert_author_post", (p.author_id, bucket, p.post_id, p.text, p.create_time_ms, p.org_id, at))]
    # Every post, group posts too, is indexed under its author, so purge_author finds it.
    index = [
        ("insert_author_bucket", (p.author_id, bucket, at)),
        ("insert_author_post_id", (p.author_id, bucket, p.post_id, at)),
        ("insert_user", (p.author_id,)),
    ]
    return [*listing, *index]


def _post_row(p: Post, idempotency_key: str) -> tuple:
    """The posts row, the commit point. The key is kept ("" for none: a cell, where None would
    write a tombstone) for purge_post."""
    at = write_time_us(p.post_id)
    return (p.post_id, p.author_id, p.text, p.create_time_ms, p.group_id, p.org_id, idempotency_key, at)
