"""Reposts of the SQLite backend (feed/store/reposts.py): one row each, unique per (reposter, post)."""

from __future__ import annotations

from collections.abc import Iterable

from feed.ids import MAX_ID
from feed.store.reposts import Outbox, Repost, RepostStore
from feed.store.sqlite_outbox import SqliteDatabase, record, write_transaction

REPOSTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS reposts (
    repost_id INTEGER PRIMARY KEY,
    reposter_id INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    org_id INTEGER NOT NULL,
    create_time_ms INTEGER NOT NULL,
    UNIQUE (reposter_id, post_id)
);
CREATE INDEX IF NOT EXISTS reposts_by_post ON reposts (post_id);
CREATE INDEX IF NOT EXISTS reposts_by_reposter ON reposts (reposter_id, repost_id);
"""
_COLUMNS = "repost_id, reposter_id, post_id, org_id, create_time_ms"
CHUNK = 500  # ids per IN (...) query, under SQLite's variable limit


class SqliteRepostStore(RepostStore):
    """Reposts in the reposts table."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        with db.lock:
            db.conn.executescript(REPOSTS_SCHEMA)

    def create_repost(self, repost: Repost, outbox: Outbox = ()) -> tuple[Repost, bool]:
        r = repost
        with write_transaction(self._db) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM reposts WHERE reposter_id = ? AND post_id = ?", (r.reposter_id, r.post_id)
            ).fetchone()
            if row is not None:
                return Repost(*row), False
            conn.execute(
                f"INSERT INTO reposts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (r.repost_id, r.reposter_id, r.post_id, r.org_id, r.create_time_ms),
            )
            record(conn, outbox)
        return repost, True

    def find_repost(self, reposter_id: int, post_id: int) -> Repost | None:
        with self._db.lock:
            row = self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM reposts WHERE reposter_id = ? AND post_id = ?", (reposter_id, post_id)
            ).fetchone()
        return None if row is None else Repost(*row)

    def delete_repost(self, repost: Repost, outbox: Outbox = ()) -> None:
        with write_transaction(self._db) as conn:
            conn.execute("DELETE FROM reposts WHERE repost_id = ?", (repost.repost_id,))
            record(conn, outbox)

    def get_reposts(self, repost_ids: Iterable[int]) -> dict[int, Repost]:
        return {r.repost_id: r for r in self._where_in("repost_id", repost_ids)}

    def reposts_of(self, post_id: int, limit: int) -> list[Repost]:
        with self._db.lock:
            rows = self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM reposts WHERE post_id = ? LIMIT ?", (post_id, limit)
            ).fetchall()
        return [Repost(*row) for row in rows]

    def count_reposts(self, post_ids: Iterable[int]) -> dict[int, int]:
        ids = list(dict.fromkeys(post_ids))
        counts = dict.fromkeys(ids, 0)
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                for post_id, n in self._db.conn.execute(
                    f"SELECT post_id, count(*) FROM reposts WHERE post_id IN ({marks}) GROUP BY post_id", chunk
                ):
                    counts[post_id] = n
        return counts

    def list_user_reposts(self, reposter_id: int, before_id: int | None, limit: int) -> list[Repost]:
        before = MAX_ID if before_id is None else before_id - 1
        with self._db.lock:
            rows = self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM reposts WHERE reposter_id = ? AND repost_id <= ? "
                "ORDER BY repost_id DESC LIMIT ?",
                (reposter_id, before, limit),
            ).fetchall()
        return [Repost(*row) for row in rows]

    def _where_in(self, column: str, values: Iterable[int]) -> list[Repost]:
        ids = list(dict.fromkeys(values))
        found: list[Repost] = []
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.conn.execute(f"SELECT {_COLUMNS} FROM reposts WHERE {column} IN ({marks})", chunk)
                found += [Repost(*row) for row in rows]
        return found

    def close(self) -> None:
        self._db.close()
