"""Read markers of the SQLite backend: one row per user, compared and set in one IMMEDIATE transaction."""

from __future__ import annotations

from feed.store.markers import NO_VERSION, Marker, MarkerStore, require_version, stale_version
from feed.store.sqlite_outbox import SqliteDatabase, write_transaction

MARKERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS read_markers (
    user_id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    update_time_ms INTEGER NOT NULL
);
"""


class SqliteMarkerStore(MarkerStore):
    """Markers in the read_markers table."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get_marker(self, user_id: int) -> Marker | None:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT post_id, version, update_time_ms FROM read_markers WHERE user_id = ?", (user_id,)
            ).fetchone()
        return None if row is None else Marker(*row)

    def set_marker(self, user_id: int, post_id: int, expected_version: int, now_ms: int) -> Marker:
        require_version(expected_version)
        # BEGIN IMMEDIATE takes the write lock before the read: another process's set
        # cannot slip in between the version check and the write.
        with write_transaction(self._db) as conn:
            row = conn.execute("SELECT version FROM read_markers WHERE user_id = ?", (user_id,)).fetchone()
            current = NO_VERSION if row is None else row[0]
            if current != expected_version:
                raise stale_version(current, expected_version)
            marker = Marker(post_id, expected_version + 1, now_ms)
            conn.execute(
                "INSERT OR REPLACE INTO read_markers (user_id, post_id, version, update_time_ms) VALUES (?, ?, ?, ?)",
                (user_id, marker.post_id, marker.version, marker.update_time_ms),
            )
        return marker

    def purge_marker(self, user_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM read_markers WHERE user_id = ?", (user_id,))

    def close(self) -> None:
        self._db.close()
