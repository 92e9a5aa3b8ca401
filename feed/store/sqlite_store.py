"""SQLite backend of the store contracts: the local and test default.

One file shared by every local process. WAL mode lets readers run beside the
one writer; busy_timeout makes a writer wait for another process's write
instead of failing. One connection per store object, guarded by a lock, is
plenty for one machine; Cassandra is the backend that scales.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from feed.domain import Page, Post
from feed.ids import MAX_ID
from feed.store.base import GraphStore, PostStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    post_id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS posts_by_author ON posts (author_id, post_id);
CREATE TABLE IF NOT EXISTS post_idempotency (
    author_id INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    PRIMARY KEY (author_id, idempotency_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS follows (
    follower_id INTEGER NOT NULL,
    followee_id INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS followers_by_user ON follows (followee_id, follower_id);
CREATE TABLE IF NOT EXISTS blocks (
    blocker_id INTEGER NOT NULL,
    blocked_id INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
"""
BUSY_TIMEOUT_MS = 10_000
CHUNK = 500  # ids per IN (...) query, under SQLite's variable limit


class SqliteDatabase:
    """One connection to one SQLite file, shared by the post and graph stores."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None)
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        with self.lock:
            self.conn.executescript(SCHEMA)
        self._users = 0

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _post(row: tuple) -> Post:
    return Post(post_id=row[0], author_id=row[1], text=row[2], create_time_ms=row[3])


class SqlitePostStore(PostStore):
    """Posts in SQLite; deletes leave a tombstone row so a retry cannot revive a post."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def create_post(self, post: Post, idempotency_key: str = "") -> tuple[Post, bool]:
        db = self._db
        with db.lock:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                if idempotency_key:
                    row = db.conn.execute(
                        "SELECT p.post_id, p.author_id, p.text, p.create_time_ms FROM post_idempotency i "
                        "JOIN posts p ON p.post_id = i.post_id WHERE i.author_id = ? AND i.idempotency_key = ?",
                        (post.author_id, idempotency_key),
                    ).fetchone()
                    if row is not None:
                        db.conn.execute("COMMIT")
                        return _post(row), False
                    db.conn.execute(
                        "INSERT INTO post_idempotency (author_id, idempotency_key, post_id) VALUES (?, ?, ?)",
                        (post.author_id, idempotency_key, post.post_id),
                    )
                db.conn.execute(
                    "INSERT INTO posts (post_id, author_id, text, create_time_ms) VALUES (?, ?, ?, ?)",
                    (post.post_id, post.author_id, post.text, post.create_time_ms),
                )
                db.conn.execute("COMMIT")
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
        return post, True

    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        ids = list(dict.fromkeys(post_ids))
        found: dict[int, Post] = {}
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.conn.execute(
                    f"SELECT post_id, author_id, text, create_time_ms FROM posts "
                    f"WHERE deleted = 0 AND post_id IN ({marks})",
                    chunk,
                ).fetchall()
                found.update((row[0], _post(row)) for row in rows)
        return found

    def delete_post(self, post_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute("UPDATE posts SET deleted = 1 WHERE post_id = ? AND deleted = 0", (post_id,))
        return cur.rowcount > 0

    def list_author_posts(self, author_id: int, before_id: int | None, limit: int) -> list[Post]:
        # MAX_ID is never issued, so "< MAX_ID" with no cursor misses nothing
        before = before_id if before_id is not None else MAX_ID
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT post_id, author_id, text, create_time_ms FROM posts "
                "WHERE author_id = ? AND post_id < ? AND deleted = 0 ORDER BY post_id DESC LIMIT ?",
                (author_id, before, limit),
            ).fetchall()
        return [_post(row) for row in rows]

    def close(self) -> None:
        self._db.close()


class SqliteGraphStore(GraphStore):
    """Follow edges in one table with an index for the reverse direction."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def follow(self, follower_id: int, followee_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute(
                "INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?, ?)", (follower_id, followee_id)
            )
        return cur.rowcount > 0

    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute(
                "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?", (follower_id, followee_id)
            )
        return cur.rowcount > 0

    def is_following(self, follower_id: int, followee_id: int) -> bool:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?", (follower_id, followee_id)
            ).fetchone()
        return row is not None

    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        ids = list(dict.fromkeys(candidate_ids))
        found: set[int] = set()
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.conn.execute(
                    f"SELECT followee_id FROM follows WHERE follower_id = ? AND followee_id IN ({marks})",
                    (follower_id, *chunk),
                ).fetchall()
                found.update(row[0] for row in rows)
        return found

    def block(self, blocker_id: int, blocked_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id) VALUES (?, ?)", (blocker_id, blocked_id)
            )
        return cur.rowcount > 0

    def unblock(self, blocker_id: int, blocked_id: int) -> bool:
        with self._db.lock:
            cur = self._db.conn.execute(
                "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
            )
        return cur.rowcount > 0

    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
            ).fetchone()
        return row is not None

    def _page(self, sql: str, user_id: int, page_size: int, page_token: str | None) -> Page:
        after = int(page_token) if page_token else -1
        with self._db.lock:
            rows = self._db.conn.execute(sql, (user_id, after, page_size + 1)).fetchall()
        ids = [row[0] for row in rows[:page_size]]
        return Page(ids, str(ids[-1]) if len(rows) > page_size else None)

    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._page(
            "SELECT follower_id FROM follows WHERE followee_id = ? AND follower_id > ? ORDER BY follower_id LIMIT ?",
            user_id,
            page_size,
            page_token,
        )

    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return self._page(
            "SELECT followee_id FROM follows WHERE follower_id = ? AND followee_id > ? ORDER BY followee_id LIMIT ?",
            user_id,
            page_size,
            page_token,
        )

    def follower_count(self, user_id: int) -> int:
        with self._db.lock:
            return self._db.conn.execute("SELECT count(*) FROM follows WHERE followee_id = ?", (user_id,)).fetchone()[0]

    def iter_user_ids(self) -> Iterator[int]:
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT follower_id FROM follows UNION SELECT followee_id FROM follows "
                "UNION SELECT author_id FROM posts ORDER BY 1"
            ).fetchall()
        for row in rows:
            yield row[0]

    def close(self) -> None:
        self._db.close()
