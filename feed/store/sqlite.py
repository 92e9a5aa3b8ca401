"""SQLite backend of the store contracts: the local and test default.

One file shared by every local process. WAL mode lets readers run beside the
one writer; busy_timeout makes a writer wait for another process's write
instead of failing. One connection per store object, guarded by a lock, is
plenty for one machine; Cassandra is the backend that scales.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from feed.domain import Group, Page, Post
from feed.ids import MAX_ID
from feed.page_tokens import decode_store_id_cursor, encode_store_id_cursor
from feed.store.base import GraphStore, OrgStore, Outbox, PostStore
from feed.store.sqlite_markers import MARKERS_SCHEMA
from feed.store.sqlite_outbox import OUTBOX_SCHEMA, record, write_transaction
from feed.store.sqlite_quiet import QUIET_SCHEMA

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    post_id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    group_id INTEGER NOT NULL DEFAULT 0,
    org_id INTEGER NOT NULL DEFAULT 0
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
CREATE INDEX IF NOT EXISTS blockers_by_user ON blocks (blocked_id, blocker_id);
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_by_org ON users (org_id, user_id);
CREATE TABLE IF NOT EXISTS groups (
    group_id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    kind TEXT NOT NULL,
    creator_id INTEGER NOT NULL,
    create_time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_org ON groups (org_id, group_id);
CREATE TABLE IF NOT EXISTS org_announcements (
    org_id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS groups_by_member ON group_members (user_id, group_id);
CREATE TABLE IF NOT EXISTS group_invitations (
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    inviter_id INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
"""
# Columns added after a table's first release: (table, column, definition). Added in place
# on open, so a database made by an older version keeps working.
ADDED_COLUMNS = [
    ("posts", "group_id", "INTEGER NOT NULL DEFAULT 0"),
    ("posts", "org_id", "INTEGER NOT NULL DEFAULT 0"),
]
POST_COLUMNS = "post_id, author_id, text, create_time_ms, group_id, org_id"
GROUP_COLUMNS = "group_id, org_id, name, visibility, kind, creator_id, create_time_ms"
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
            self._add_columns()
            self.conn.executescript(SCHEMA)
            self.conn.executescript(OUTBOX_SCHEMA)
            self.conn.executescript(MARKERS_SCHEMA)
            self.conn.executescript(QUIET_SCHEMA)
            self.conn.execute(
                "CREATE INDEX IF NOT EXISTS posts_by_group ON posts (group_id, post_id) WHERE group_id != 0"
            )

    def _add_columns(self) -> None:
        for table, column, definition in ADDED_COLUMNS:
            existing = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            if existing and column not in existing:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _post(row: tuple) -> Post:
    return Post(*row)


def _group(row: tuple) -> Group:
    return Group(*row)


class SqlitePostStore(PostStore):
    """Posts in SQLite; deletes leave a tombstone row so a retry cannot revive a post."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def create_post(self, post: Post, idempotency_key: str = "", outbox: Outbox = ()) -> tuple[Post, bool]:
        with write_transaction(self._db) as conn:
            if idempotency_key:
                row = conn.execute(
                    "SELECT p.post_id, p.author_id, p.text, p.create_time_ms, p.group_id, p.org_id "
                    "FROM post_idempotency i "
                    "JOIN posts p ON p.post_id = i.post_id WHERE i.author_id = ? AND i.idempotency_key = ?",
                    (post.author_id, idempotency_key),
                ).fetchone()
                if row is not None:
                    return _post(row), False
                conn.execute(
                    "INSERT INTO post_idempotency (author_id, idempotency_key, post_id) VALUES (?, ?, ?)",
                    (post.author_id, idempotency_key, post.post_id),
                )
            conn.execute(
                f"INSERT INTO posts ({POST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (post.post_id, post.author_id, post.text, post.create_time_ms, post.group_id, post.org_id),
            )
            record(conn, outbox)
        return post, True

    def load_posts(self, posts: Iterable[Post]) -> None:
        rows = ((p.post_id, p.author_id, p.text, p.create_time_ms, p.group_id, p.org_id) for p in posts)
        _load(self._db, f"INSERT OR IGNORE INTO posts ({POST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        ids = list(dict.fromkeys(post_ids))
        found: dict[int, Post] = {}
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.conn.execute(
                    f"SELECT {POST_COLUMNS} FROM posts WHERE deleted = 0 AND post_id IN ({marks})",
                    chunk,
                ).fetchall()
                found.update((row[0], _post(row)) for row in rows)
        return found

    def delete_post(self, post_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute("UPDATE posts SET deleted = 1 WHERE post_id = ? AND deleted = 0", (post_id,))
            record(conn, outbox)
        return cur.rowcount > 0

    def find_post(self, post_id: int) -> tuple[Post, bool] | None:
        with self._db.lock:
            row = self._db.conn.execute(
                f"SELECT {POST_COLUMNS}, deleted FROM posts WHERE post_id = ?", (post_id,)
            ).fetchone()
        return None if row is None else (_post(row[:-1]), bool(row[-1]))

    def list_author_posts(
        self, author_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        return self._list_posts("author_id = ? AND group_id = 0", author_id, before_id, limit, after_id)

    def list_group_posts(
        self, group_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        return self._list_posts("group_id = ? AND group_id != 0", group_id, before_id, limit, after_id)

    def _list_posts(
        self, owner: str, owner_id: int, before_id: int | None, limit: int, after_id: int | None
    ) -> list[Post]:
        """Live posts of one owner below before_id, newest first: the newest limit, or, given after_id,
        the oldest limit above it."""
        # MAX_ID is never issued, so "< MAX_ID" with no cursor misses nothing
        before = before_id if before_id is not None else MAX_ID
        order = "DESC" if after_id is None else "ASC"
        with self._db.lock:
            rows = self._db.conn.execute(
                f"SELECT {POST_COLUMNS} FROM posts "
                f"WHERE {owner} AND post_id < ? AND post_id > ? AND deleted = 0 "
                f"ORDER BY post_id {order} LIMIT ?",
                (owner_id, before, -1 if after_id is None else after_id, limit),
            ).fetchall()
        posts = [_post(row) for row in rows]
        return posts if after_id is None else posts[::-1]

    def purge_author(self, author_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM posts WHERE author_id = ?", (author_id,))
            self._db.conn.execute("DELETE FROM post_idempotency WHERE author_id = ?", (author_id,))

    def purge_post(self, post_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM posts WHERE post_id = ?", (post_id,))
            self._db.conn.execute("DELETE FROM post_idempotency WHERE post_id = ?", (post_id,))

    def close(self) -> None:
        self._db.close()


class SqliteGraphStore(GraphStore):
    """Follow edges in one table with an index for the reverse direction."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def follow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?, ?)", (follower_id, followee_id)
            )
            record(conn, outbox)
        return cur.rowcount > 0

    def load_follows(self, edges: Iterable[tuple[int, int]]) -> None:
        _load(self._db, "INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?, ?)", edges)

    def unfollow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute(
                "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?", (follower_id, followee_id)
            )
            record(conn, outbox)
        return cur.rowcount > 0

    def is_following(self, follower_id: int, followee_id: int) -> bool:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?", (follower_id, followee_id)
            ).fetchone()
        return row is not None

    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        return _among(
            self._db,
            "SELECT followee_id FROM follows WHERE follower_id = ? AND followee_id IN ({})",
            follower_id,
            candidate_ids,
        )

    def block(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id) VALUES (?, ?)", (blocker_id, blocked_id)
            )
            conn.execute(
                "DELETE FROM follows WHERE (follower_id, followee_id) IN (VALUES (?, ?), (?, ?))",
                (blocker_id, blocked_id, blocked_id, blocker_id),
            )
            record(conn, outbox)
        return cur.rowcount > 0

    def unblock(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute("DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id))
            record(conn, outbox)
        return cur.rowcount > 0

    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
            ).fetchone()
        return row is not None

    def blocked_among(self, blocker_id: int, candidate_ids: Iterable[int]) -> set[int]:
        return _among(
            self._db,
            "SELECT blocked_id FROM blocks WHERE blocker_id = ? AND blocked_id IN ({})",
            blocker_id,
            candidate_ids,
        )

    def blocked_either_way_among(self, user_id: int, candidate_ids: Iterable[int]) -> set[int]:
        # One query for both directions: the primary key serves the first, blockers_by_user the second.
        return _among(
            self._db,
            "SELECT blocked_id FROM blocks WHERE blocker_id = ?1 AND blocked_id IN ({0}) "
            "UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?1 AND blocker_id IN ({0})",
            user_id,
            candidate_ids,
        )

    def list_blocked(self, blocker_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT blocked_id FROM blocks WHERE blocker_id = ? AND blocked_id > ? ORDER BY blocked_id LIMIT ?",
            blocker_id,
            page_size,
            page_token,
        )

    def purge_user(self, user_id: int) -> None:
        with self._db.lock:
            for sql in (
                "DELETE FROM follows WHERE follower_id = ?",
                "DELETE FROM follows WHERE followee_id = ?",
                "DELETE FROM blocks WHERE blocker_id = ?",
                "DELETE FROM blocks WHERE blocked_id = ?",
            ):
                self._db.conn.execute(sql, (user_id,))

    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT follower_id FROM follows WHERE followee_id = ? AND follower_id > ? ORDER BY follower_id LIMIT ?",
            user_id,
            page_size,
            page_token,
        )

    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
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
                "UNION SELECT author_id FROM posts UNION SELECT user_id FROM users ORDER BY 1"
            ).fetchall()
        for row in rows:
            yield row[0]

    def close(self) -> None:
        self._db.close()


class SqliteOrgStore(OrgStore):
    """User bindings, groups and memberships in SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def bind_user(self, user_id: int, org_id: int) -> int:
        with self._db.lock:
            self._db.conn.execute("INSERT OR IGNORE INTO users (user_id, org_id) VALUES (?, ?)", (user_id, org_id))
            return self._db.conn.execute("SELECT org_id FROM users WHERE user_id = ?", (user_id,)).fetchone()[0]

    def load_bindings(self, bindings: Iterable[tuple[int, int]]) -> None:
        _load(self._db, "INSERT OR IGNORE INTO users (user_id, org_id) VALUES (?, ?)", bindings)

    def orgs_of(self, user_ids: Iterable[int]) -> dict[int, int]:
        return _pairs_among(self._db, "SELECT user_id, org_id FROM users WHERE user_id IN ({})", user_ids)

    def list_org_users(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT user_id FROM users WHERE org_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
            org_id,
            page_size,
            page_token,
        )

    def create_group(self, group: Group) -> None:
        with self._db.lock:
            self._db.conn.execute(
                f"INSERT OR IGNORE INTO groups ({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                dataclasses.astuple(group),
            )

    def claim_announcements(self, org_id: int, group_id: int) -> int:
        with self._db.lock:
            self._db.conn.execute(
                "INSERT OR IGNORE INTO org_announcements (org_id, group_id) VALUES (?, ?)", (org_id, group_id)
            )
            return self._db.conn.execute(
                "SELECT group_id FROM org_announcements WHERE org_id = ?", (org_id,)
            ).fetchone()[0]

    def announcements_of(self, org_id: int) -> int | None:
        with self._db.lock:
            row = self._db.conn.execute("SELECT group_id FROM org_announcements WHERE org_id = ?", (org_id,)).fetchone()
        return None if row is None else row[0]

    def get_groups(self, group_ids: Iterable[int]) -> dict[int, Group]:
        ids = list(dict.fromkeys(group_ids))
        found: dict[int, Group] = {}
        with self._db.lock:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                rows = self._db.conn.execute(
                    f"SELECT {GROUP_COLUMNS} FROM groups WHERE group_id IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                found.update((row[0], _group(row)) for row in rows)
        return found

    def add_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)", (group_id, user_id)
            )
            record(conn, outbox)
        return cur.rowcount > 0

    def remove_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        with write_transaction(self._db) as conn:
            cur = conn.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id))
            record(conn, outbox)
        return cur.rowcount > 0

    def groups_among(self, user_id: int, group_ids: Iterable[int]) -> set[int]:
        return _among(
            self._db, "SELECT group_id FROM group_members WHERE user_id = ? AND group_id IN ({})", user_id, group_ids
        )

    def invite(self, group_id: int, user_id: int, inviter_id: int, expires_ms: int) -> None:
        with self._db.lock:
            self._db.conn.execute(
                "INSERT OR REPLACE INTO group_invitations (group_id, user_id, inviter_id, expires_ms) "
                "VALUES (?, ?, ?, ?)",
                (group_id, user_id, inviter_id, expires_ms),
            )

    def invitation(self, group_id: int, user_id: int, now_ms: int) -> int | None:
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT inviter_id FROM group_invitations WHERE group_id = ? AND user_id = ? AND expires_ms > ?",
                (group_id, user_id, now_ms),
            ).fetchone()
        return None if row is None else row[0]

    def remove_invitation(self, group_id: int, user_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute(
                "DELETE FROM group_invitations WHERE group_id = ? AND user_id = ?", (group_id, user_id)
            )

    def member_count(self, group_id: int) -> int:
        with self._db.lock:
            return self._db.conn.execute(
                "SELECT count(*) FROM group_members WHERE group_id = ?", (group_id,)
            ).fetchone()[0]

    def list_members(self, group_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT user_id FROM group_members WHERE group_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
            group_id,
            page_size,
            page_token,
        )

    def list_user_groups(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT group_id FROM group_members WHERE user_id = ? AND group_id > ? ORDER BY group_id LIMIT ?",
            user_id,
            page_size,
            page_token,
        )

    def list_org_groups(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        return _page(
            self._db,
            "SELECT group_id FROM groups WHERE org_id = ? AND group_id > ? ORDER BY group_id LIMIT ?",
            org_id,
            page_size,
            page_token,
        )

    def purge_group(self, group_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))
            self._db.conn.execute("DELETE FROM group_invitations WHERE group_id = ?", (group_id,))
            self._db.conn.execute("DELETE FROM org_announcements WHERE group_id = ?", (group_id,))
            self._db.conn.execute("DELETE FROM groups WHERE group_id = ?", (group_id,))

    def purge_user(self, user_id: int) -> None:
        with self._db.lock:
            self._db.conn.execute("DELETE FROM group_members WHERE user_id = ?", (user_id,))
            self._db.conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))

    def close(self) -> None:
        self._db.close()


def _load(db: SqliteDatabase, sql: str, rows: Iterable[tuple]) -> None:
    """sql for every row, in one transaction: one commit (one fsync) for the lot, not one per row."""
    with db.lock:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            db.conn.executemany(sql, rows)
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise


def _page(db: SqliteDatabase, sql: str, owner: int, page_size: int, page_token: str | None) -> Page:
    """One page of ids from sql (parameters: owner, after, limit), the last id as the next token."""
    after = decode_store_id_cursor(page_token)
    with db.lock:
        rows = db.conn.execute(sql, (owner, after, page_size + 1)).fetchall()
    ids = [row[0] for row in rows[:page_size]]
    return Page(ids, encode_store_id_cursor(ids[-1]) if len(rows) > page_size else None)


def _among(db: SqliteDatabase, sql: str, owner: int, candidates: Iterable[int]) -> set[int]:
    """The candidates sql finds for owner; sql has `{}` (or `{0}`, as often as it needs the list) where
    the IN list goes, and binds owner as its first parameter (`?` or `?1`)."""
    ids = list(dict.fromkeys(candidates))
    found: set[int] = set()
    with db.lock:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            in_list = ",".join(f"?{i}" for i in range(2, len(chunk) + 2))  # numbered: usable twice
            rows = db.conn.execute(sql.format(in_list), (owner, *chunk)).fetchall()
            found.update(row[0] for row in rows)
    return found


def _pairs_among(db: SqliteDatabase, sql: str, keys: Iterable[int]) -> dict[int, int]:
    ids = list(dict.fromkeys(keys))
    found: dict[int, int] = {}
    with db.lock:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found.update(db.conn.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall())
    return found
