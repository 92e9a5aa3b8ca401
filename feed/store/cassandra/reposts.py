"""Reposts in Cassandra (tables in feed/store/cassandra/cql/008_reposts.cql).

A repost's four rows (by id, by reposter and post, by original post, by reposter) and
its outbox records go in one logged batch, and so does their deletion. The listings are
in 30-day buckets of the repost's id (author_bucket), walked from the newest: a user's
reposts back to MAX_BUCKETS_BACK buckets (a year: user timelines and rebuilds show
reposts of the last year), a post's from its own bucket to now. The count is a
counter, updated after the batch: a crash between the two leaves it off by one.

No lightweight transaction guards the first repost of a (reposter, post): two racing
first calls may both be stored; readers show the post once all the same
(docs/reposts.md), and repost_keys names the one Unrepost takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from feed.ids import MAX_ID, now_ms
from feed.store.cassandra.layout import AUTHOR_BUCKET_MS, author_bucket
from feed.store.cassandra.outbox import write_with_records
from feed.store.cassandra.session import CassandraSession
from feed.store.reposts import Outbox, Repost, RepostStore

_MAX_LIMIT = (1 << 31) - 1  # CQL LIMIT is a 32-bit int
MAX_BUCKETS_BACK = 13  # 30-day buckets a user's reposts are listed across: about a year


def _repost(row: Any) -> Repost:
    return Repost(row.repost_id, row.reposter_id, row.post_id, row.org_id or 0, row.create_time_ms or 0)


class CassandraRepostStore(RepostStore):
    """Reposts by id, by (reposter, post), by original post and by reposter."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def create_repost(self, repost: Repost, outbox: Outbox = ()) -> tuple[Repost, bool]:
        found = self.find_repost(repost.reposter_id, repost.post_id)
        if found is not None:
            return found, False
        r = repost
        row = (r.repost_id, r.reposter_id, r.post_id, r.org_id, r.create_time_ms)
        bucket = author_bucket(r.repost_id)
        ops = [
            ("repost.insert", row),
            ("repost.insert_key", row),
            ("repost.insert_by_post", (*row, bucket)),
            ("repost.insert_by_user", (*row, bucket)),
        ]
        write_with_records(self._db, outbox, lambda at: ops)
        self._db.execute("repost.add_count", (1, r.post_id))
        return repost, True

    def find_repost(self, reposter_id: int, post_id: int) -> Repost | None:
        row = self._db.execute("repost.find", (reposter_id, post_id)).one()
        return None if row is None else _repost(row)

    def delete_repost(self, repost: Repost, outbox: Outbox = ()) -> None:
        r, bucket = repost, author_bucket(repost.repost_id)
        existed = self._db.execute("repost.select", (r.repost_id,)).one() is not None
        ops = [
            ("repost.delete", (r.repost_id,)),
            ("repost.delete_key", (r.reposter_id, r.post_id)),
            ("repost.delete_by_post", (r.post_id, bucket, r.repost_id)),
            ("repost.delete_by_user", (r.reposter_id, bucket, r.repost_id)),
        ]
        write_with_records(self._db, outbox, lambda at: ops)
        if existed:
            self._db.execute("repost.add_count", (-1, r.post_id))

    def get_reposts(self, repost_ids: Iterable[int]) -> dict[int, Repost]:
        ids = list(dict.fromkeys(repost_ids))
        found: dict[int, Repost] = {}
        for result in self._db.execute_many("repost.select", [(i,) for i in ids]):
            row = result.one()
            if row is not None:
                found[row.repost_id] = _repost(row)
        return found

    def reposts_of(self, post_id: int, limit: int) -> list[Repost]:
        found: list[Repost] = []
        for bucket in range(now_ms() // AUTHOR_BUCKET_MS, author_bucket(post_id) - 1, -1):
            rows = self._db.execute("repost.of", (post_id, bucket, min(limit - len(found), _MAX_LIMIT)))
            found += [_repost(row) for row in rows]
            if len(found) >= limit:
                break
        return found

    def count_reposts(self, post_ids: Iterable[int]) -> dict[int, int]:
        ids = list(dict.fromkeys(post_ids))
        results = self._db.execute_many("repost.count", [(i,) for i in ids])
        counts = {}
        for post_id, result in zip(ids, results, strict=True):
            row = result.one()
            counts[post_id] = max(0, row.reposts or 0) if row is not None else 0
        return counts

    def list_user_reposts(self, reposter_id: int, before_id: int | None, limit: int) -> list[Repost]:
        before = MAX_ID if before_id is None else before_id
        top = now_ms() // AUTHOR_BUCKET_MS if before_id is None else author_bucket(before_id)
        found: list[Repost] = []
        for bucket in range(top, top - MAX_BUCKETS_BACK, -1):
            rows = self._db.execute(
                "repost.of_user", (reposter_id, bucket, before, min(limit - len(found), _MAX_LIMIT))
            )
            found += [_repost(row) for row in rows]
            if len(found) >= limit:
                break
        return found

    def close(self) -> None:
        self._db.close()
