"""A SQLite file made by the release before organizations still opens and works."""

from __future__ import annotations

import sqlite3

from feed.domain import Post
from feed.store import open_store
from tests.store.contract import followers_of, new_group, new_post, new_user

# The schema as the previous release created it: posts without group_id and org_id,
# and none of the organization tables.
PREVIOUS_SCHEMA = """
CREATE TABLE posts (
    post_id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_by_author ON posts (author_id, post_id);
CREATE TABLE post_idempotency (
    author_id INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    PRIMARY KEY (author_id, idempotency_key)
) WITHOUT ROWID;
CREATE TABLE follows (
    follower_id INTEGER NOT NULL,
    followee_id INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX followers_by_user ON follows (followee_id, follower_id);
CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL,
    blocked_id INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
"""


def _previous_release_file(path, old: Post, follower: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(PREVIOUS_SCHEMA)
    conn.execute(
        "INSERT INTO posts (post_id, author_id, text, create_time_ms) VALUES (?, ?, ?, ?)",
        (old.post_id, old.author_id, old.text, old.create_time_ms),
    )
    conn.execute("INSERT INTO post_idempotency VALUES (?, ?, ?)", (old.author_id, "old-key", old.post_id))
    conn.execute("INSERT INTO follows VALUES (?, ?)", (follower, old.author_id))
    conn.commit()
    conn.close()


def test_a_database_from_the_previous_release_keeps_its_data_and_gains_the_new_features(tmp_path):
    path = tmp_path / "feed.db"
    author, follower = new_user(), new_user()
    old = new_post(author, "from before groups")
    _previous_release_file(path, old, follower)

    store = open_store(f"sqlite:///{path}")
    try:
        # old rows read as posts to followers, in no organization
        read = store.posts.get_post(old.post_id)
        assert read == old and (read.group_id, read.org_id) == (0, 0)  # the added columns' defaults
        assert store.posts.list_author_posts(author, None, 10) == [old]
        assert store.posts.create_post(new_post(author), "old-key") == (old, False)
        assert list(followers_of(store, author)) == [follower]
        # and the new columns and tables work
        org = new_user()
        group = new_group(org)
        store.orgs.create_group(group)
        assert store.orgs.bind_user(author, org) == org
        in_group = new_post(author, group_id=group.group_id, org_id=org)
        store.posts.create_post(in_group)
        assert store.posts.list_group_posts(group.group_id, None, 10) == [in_group]
        assert store.posts.list_author_posts(author, None, 10) == [old]
    finally:
        store.close()

    reopened = open_store(f"sqlite:///{path}")  # columns already added: opening again changes nothing
    try:
        assert reopened.posts.get_posts([old.post_id, in_group.post_id]) == {
            old.post_id: old,
            in_group.post_id: in_group,
        }
    finally:
        reopened.close()
