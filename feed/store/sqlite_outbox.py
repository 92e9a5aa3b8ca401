"""The outbox of the SQLite backend: a table written in the same transaction as each change.

Rows are numbered by an AUTOINCREMENT sequence, which SQLite's single writer
hands out in commit order: the relay publishes in that order, so the events of
one key (indeed of every key) leave in the order their changes were made.
Acknowledged rows are deleted; the sequence never reuses a number.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Protocol

from feed.store.outbox import MAX_PENDING_BATCH, OutboxBacklog, OutboxEntry, OutboxRecord, OutboxStore


class SqliteDatabase(Protocol):
    """What this module needs of feed.store.sqlite.SqliteDatabase (named here, not imported: no cycle)."""

    lock: threading.RLock
    conn: sqlite3.Connection

    def close(self) -> None: ...


OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
"""
BACKLOG_COUNT_CAP = 1_000_000  # backlog() counts at most this many rows: its cost stays bounded
CHUNK = 500


@contextlib.contextmanager
def write_transaction(db: SqliteDatabase) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction under the connection lock: committed whole or rolled back."""
    with db.lock:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db.conn
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise


def record(conn: sqlite3.Connection, outbox: Sequence[OutboxEntry]) -> None:
    """Add outbox rows inside the caller's transaction."""
    if outbox:
        conn.executemany(
            "INSERT INTO outbox (key, value, headers, created_ms) VALUES (?, ?, ?, ?)",
            [(e.key, e.value, _encode_headers(e.headers), e.created_ms) for e in outbox],
        )


class SqliteOutboxStore(OutboxStore):
    """Pending rows in sequence order; acknowledging deletes them."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def pending(self, limit: int) -> list[OutboxRecord]:
        limit = max(1, min(limit, MAX_PENDING_BATCH))
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT seq, key, value, headers, created_ms FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [
            OutboxRecord(seq, OutboxEntry(bytes(key), bytes(value), created_ms, _decode_headers(headers)))
            for seq, key, value, headers, created_ms in rows
        ]

    def acknowledge(self, records: Sequence[OutboxRecord]) -> None:
        seqs = [r.position for r in records]
        with self._db.lock:
            for start in range(0, len(seqs), CHUNK):
                chunk = seqs[start : start + CHUNK]
                self._db.conn.execute(f"DELETE FROM outbox WHERE seq IN ({','.join('?' * len(chunk))})", chunk)

    def backlog(self) -> OutboxBacklog:
        with self._db.lock:
            (count,) = self._db.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT ?)", (BACKLOG_COUNT_CAP,)
            ).fetchone()
            oldest = self._db.conn.execute("SELECT created_ms FROM outbox ORDER BY seq LIMIT 1").fetchone()
        return OutboxBacklog(count, oldest[0] if oldest else None)

    def close(self) -> None:
        self._db.close()


def _encode_headers(headers: tuple[tuple[str, bytes], ...]) -> str:
    return json.dumps([[k, v.decode("latin-1")] for k, v in headers])


def _decode_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(text))
