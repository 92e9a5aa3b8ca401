"""Mutes and keyword filters of the SQLite backend (feed/store/quiet.py): one row each, expiry in a column."""

from __future__ import annotations

from feed.page_tokens import decode_store_id_cursor, encode_store_id_cursor
from feed.store.quiet import KeywordFilter, Mute, MutePage, QuietStore
from feed.store.sqlite_outbox import SqliteDatabase

QUIET_SCHEMA = """
CREATE TABLE IF NOT EXISTS mutes (
    muter_id INTEGER NOT NULL,
    muted_id INTEGER NOT NULL,
    expire_ms INTEGER,
    PRIMARY KEY (muter_id, muted_id)
);
CREATE TABLE IF NOT EXISTS keyword_filters (
    user_id INTEGER NOT NULL,
    filter_id INTEGER NOT NULL,
    phrase TEXT NOT NULL,
    whole_word INTEGER NOT NULL,
    expire_ms INTEGER,
    PRIMARY KEY (user_id, filter_id)
);
"""
_ACTIVE = "(expire_ms IS NULL OR expire_ms > ?)"


class SqliteQuietStore(QuietStore):
    """Mutes and filters in the mutes and keyword_filters tables."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def mute(self, muter_id: int, mute: Mute) -> None:
        with self._db.lock:
            self._db.conn.execute(
                "INSERT OR REPLACE INTO mutes (muter_id, muted_id, expire_ms) VALUES (?, ?, ?)",
                (muter_id, mute.muted_id, mute.expire_ms),
            )

    def unmute(self, muter_id: int, muted_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute("DELETE FROM mutes WHERE muter_id = ? AND muted_id = ?", (muter_id, muted_id))
        return cur.rowcount > 0

    def list_mutes(self, muter_id: int, now_ms: int, page_size: int, page_token: str | None = None) -> MutePage:
        after = decode_store_id_cursor(page_token)
        with self._db.lock:
            rows = self._db.conn.execute(
                f"SELECT muted_id, expire_ms FROM mutes WHERE muter_id = ? AND muted_id > ? AND {_ACTIVE} "
                "ORDER BY muted_id LIMIT ?",
                (muter_id, after, now_ms, page_size + 1),
            ).fetchall()
        mutes = [Mute(*row) for row in rows[:page_size]]
        return MutePage(mutes, encode_store_id_cursor(mutes[-1].muted_id) if len(rows) > page_size else None)

    def active_mutes(self, muter_id: int, now_ms: int) -> list[Mute]:
        with self._db.lock:
            rows = self._db.conn.execute(
                f"SELECT muted_id, expire_ms FROM mutes WHERE muter_id = ? AND {_ACTIVE} ORDER BY muted_id",
                (muter_id, now_ms),
            ).fetchall()
        return [Mute(*row) for row in rows]

    def add_filter(self, user_id: int, keyword_filter: KeywordFilter) -> None:
        f = keyword_filter
        with self._db.lock:
            self._db.conn.execute(
                "INSERT OR REPLACE INTO keyword_filters (user_id, filter_id, phrase, whole_word, expire_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, f.filter_id, f.phrase, int(f.whole_word), f.expire_ms),
            )

    def remove_filter(self, user_id: int, filter_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute(
                "DELETE FROM keyword_filters WHERE user_id = ? AND filter_id = ?", (user_id, filter_id)
            )
        return cur.rowcount > 0

    def active_filters(self, user_id: int, now_ms: int) -> list[KeywordFilter]:
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT filter_id, phrase, whole_word, expire_ms FROM keyword_filters "
                f"WHERE user_id = ? AND {_ACTIVE} ORDER BY filter_id",
                (user_id, now_ms),
            ).fetchall()
        return [KeywordFilter(fid, phrase, bool(whole), expire) for fid, phrase, whole, expire in rows]

    def purge_quiet(self, user_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM mutes WHERE muter_id = ?", (user_id,))
            self._db.conn.execute("DELETE FROM keyword_filters WHERE user_id = ?", (user_id,))

    def close(self) -> None:
        self._db.close()
