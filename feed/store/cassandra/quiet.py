"""Mutes and keyword filters in Cassandra (tables in feed/store/cassandra/cql/007_quiet.cql).

One partition per user in each table, read whole by the read path. Expiring rows are
written with a TTL that ends at their expiry, rounded up: reads compare expire_ms with
now all the same, so a TTL applied late never keeps a lapsed row in force.
"""

from __future__ import annotations

import math
import time

from feed.page_tokens import decode_store_id_cursor, encode_store_id_cursor
from feed.store.cassandra.session import CassandraSession
from feed.store.quiet import KeywordFilter, Mute, MutePage, QuietStore, active

MAX_TTL_S = 630_720_000  # Cassandra's limit (20 years); the API bounds durations well below it
NO_TTL = 0  # Cassandra's "no TTL": the row stays until deleted


def ttl_for(expire_ms: int | None) -> int:
    """The TTL that removes a row once expire_ms has passed (rounded up; at least 1 s)."""
    if expire_ms is None:
        return NO_TTL
    return min(MAX_TTL_S, max(1, math.ceil((expire_ms - time.time() * 1000) / 1000)))


class CassandraQuietStore(QuietStore):
    """Mutes and filters, each user's in one partition."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def mute(self, muter_id: int, mute: Mute) -> None:
        self._db.execute("mute.insert", (muter_id, mute.muted_id, mute.expire_ms, ttl_for(mute.expire_ms)))

    def unmute(self, muter_id: int, muted_id: int) -> bool:
        existed = self._db.execute("mute.select", (muter_id, muted_id)).one() is not None
        self._db.execute("mute.delete", (muter_id, muted_id))  # whatever the select saw: a retry finishes it
        return existed

    def list_mutes(self, muter_id: int, now_ms: int, page_size: int, page_token: str | None = None) -> MutePage:
        after, mutes = decode_store_id_cursor(page_token), []
        while True:  # expired rows the TTL has not removed yet are skipped, so a page may take several reads
            rows = list(self._db.execute("mute.page", (muter_id, after, page_size + 1)))
            for row in rows[:page_size]:
                after = row.muted_id
                if active(row.expire_ms, now_ms):
                    mutes.append(Mute(row.muted_id, row.expire_ms))
                    if len(mutes) == page_size:
                        more = len(rows) > page_size or row is not rows[-1]
                        return MutePage(mutes, encode_store_id_cursor(after) if more else None)
            if len(rows) <= page_size:
                return MutePage(mutes, None)

    def active_mutes(self, muter_id: int, now_ms: int) -> list[Mute]:
        rows = self._db.execute("mute.all", (muter_id,))
        return [Mute(r.muted_id, r.expire_ms) for r in rows if active(r.expire_ms, now_ms)]

    def add_filter(self, user_id: int, keyword_filter: KeywordFilter) -> None:
        f = keyword_filter
        params = (user_id, f.filter_id, f.phrase, f.whole_word, f.expire_ms, ttl_for(f.expire_ms))
        self._db.execute("filter.insert", params)

    def remove_filter(self, user_id: int, filter_id: int) -> bool:
        existed = self._db.execute("filter.select", (user_id, filter_id)).one() is not None
        self._db.execute("filter.delete", (user_id, filter_id))
        return existed

    def active_filters(self, user_id: int, now_ms: int) -> list[KeywordFilter]:
        rows = self._db.execute("filter.all", (user_id,))
        return [
            KeywordFilter(r.filter_id, r.phrase, r.whole_word, r.expire_ms) for r in rows if active(r.expire_ms, now_ms)
        ]

    def active_quiet(self, user_id: int, now_ms: int) -> tuple[list[Mute], list[KeywordFilter]]:
        """Both partitions read at once: one round trip's wait, not two."""
        mutes = self._db.execute_async("mute.all", (user_id,))
        filters = self._db.execute_async("filter.all", (user_id,))
        mute_rows, filter_rows = self._db.wait(mutes, "mutes"), self._db.wait(filters, "filters")
        return (
            [Mute(r.muted_id, r.expire_ms) for r in mute_rows if active(r.expire_ms, now_ms)],
            [
                KeywordFilter(r.filter_id, r.phrase, r.whole_word, r.expire_ms)
                for r in filter_rows
                if active(r.expire_ms, now_ms)
            ],
        )

    def purge_quiet(self, user_id: int) -> None:
        self._db.execute("mute.purge", (user_id,))
        self._db.execute("filter.purge", (user_id,))

    def close(self) -> None:
        self._db.close()
