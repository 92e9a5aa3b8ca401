"""The one owner of the Cassandra data layout: buckets, write times, page tokens, statements.

Everything here is pure (no driver import), so the rules that stored rows depend
on are unit-tested without a cluster. The tables themselves are in feed/cql/*.cql.

Changing EDGE_BUCKETS, AUTHOR_BUCKET_MS or edge_bucket() moves rows to other
partitions: existing data would be invisible until rewritten. Treat them like
schema and change them only with a migration that copies the rows.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import struct

from feed.errors import InvalidArgument
from feed.ids import id_time_ms

EDGE_BUCKETS = 64  # followers/following partitions per user: 50M followers -> ~800k small rows each
AUTHOR_BUCKET_MS = 30 * 24 * 3600 * 1000  # one posts_by_author partition per author per 30 days of post ids
START = -(1 << 63)  # "from the start of a bucket": below every id, which are all positive

_MASK64 = (1 << 64) - 1
_TOKEN = struct.Struct(">BBq")  # version, bucket, last id returned
_TOKEN_VERSION = 1


def edge_bucket(other_id: int) -> int:
    """The bucket, in 0..EDGE_BUCKETS-1, of an edge to or from other_id.

    Snowflake ids carry the sequence in their low bits (mostly 0 or 1), so
    `id % 64` would pile edges into few buckets; the splitmix64 finalizer mixes
    every bit first. Pure integer arithmetic: stable across processes and
    Python versions, unlike hash().
    """
    z = other_id & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) % EDGE_BUCKETS


def author_bucket(post_id: int) -> int:
    """The posts_by_author bucket of a post: 30-day periods since the Unix epoch, from the id's time."""
    return id_time_ms(post_id) // AUTHOR_BUCKET_MS


def write_time_us(post_id: int) -> int:
    """The write timestamp (microseconds) of every cell a post's creation writes.

    Derived from the id, not the clock, so a retried or replayed create writes
    the very same cells at the very same time: it cannot overwrite a later
    delete (whose timestamp is now, which is later), so a retry never revives.
    """
    return id_time_ms(post_id) * 1000


def delete_time_us(post_id: int, now_us: int) -> int:
    """A write timestamp for a delete that is later than the post's creation, even under clock skew."""
    return max(now_us, write_time_us(post_id) + 1)


@dataclasses.dataclass(frozen=True, slots=True)
class EdgeCursor:
    """Where a walk over a user's edge buckets resumes: ids > after in bucket, then later buckets."""

    bucket: int = 0
    after: int = START


def encode_page_token(cursor: EdgeCursor) -> str:
    """An opaque, URL-safe token for a cursor (14 characters)."""
    raw = _TOKEN.pack(_TOKEN_VERSION, cursor.bucket, cursor.after)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_page_token(token: str | None) -> EdgeCursor:
    """The cursor a token encodes; no token is the start. Raise InvalidArgument for anything else."""
    if not token:
        return EdgeCursor()
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        version, bucket, after = _TOKEN.unpack(raw)
    except (binascii.Error, struct.error, ValueError):
        raise InvalidArgument("page_token is not a token this service issued") from None
    if version != _TOKEN_VERSION or not 0 <= bucket < EDGE_BUCKETS:
        raise InvalidArgument("page_token is not a token this service issued")
    return EdgeCursor(bucket, after)


@dataclasses.dataclass(frozen=True, slots=True)
class Cql:
    """One statement the stores prepare at connect time.

    idempotent: running it twice leaves the same data and the same answer, so
    the driver may retry it on a timeout. Counter updates (twice adds twice)
    and lightweight transactions (the retry of an applied IF NOT EXISTS
    reports "not applied") are not.
    """

    name: str
    text: str
    idempotent: bool


STATEMENTS: tuple[Cql, ...] = (
    # posts
    Cql(
        "insert_post",
        "INSERT INTO posts (post_id, author_id, text, create_time_ms, deleted) VALUES (?, ?, ?, ?, false) "
        "USING TIMESTAMP ?",
        True,
    ),
    Cql(
        "insert_author_post",
        "INSERT INTO posts_by_author (author_id, bucket, post_id, text, create_time_ms) VALUES (?, ?, ?, ?, ?) "
        "USING TIMESTAMP ?",
        True,
    ),
    Cql(
        "insert_author_bucket",
        "INSERT INTO author_post_buckets (author_id, bucket) VALUES (?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql(
        "claim_idempotency_key",
        "INSERT INTO post_idempotency (author_id, idempotency_key, post_id) VALUES (?, ?, ?) IF NOT EXISTS",
        False,
    ),
    Cql("select_post", "SELECT post_id, author_id, text, create_time_ms, deleted FROM posts WHERE post_id = ?", True),
    Cql("select_author_buckets", "SELECT bucket FROM author_post_buckets WHERE author_id = ?", True),
    Cql(
        "select_author_posts",
        "SELECT post_id, text, create_time_ms FROM posts_by_author "
        "WHERE author_id = ? AND bucket = ? AND post_id < ? LIMIT ?",
        True,
    ),
    Cql(
        "delete_author_post",
        "DELETE FROM posts_by_author USING TIMESTAMP ? WHERE author_id = ? AND bucket = ? AND post_id = ?",
        True,
    ),
    Cql("mark_post_deleted", "UPDATE posts SET deleted = true WHERE post_id = ? IF deleted = false", False),
    # users
    Cql("insert_user", "INSERT INTO users (user_id) VALUES (?)", True),
    Cql("scan_users", "SELECT user_id FROM users", True),
    # graph: `following` is the edge of record, written only by LWTs; `followers` mirrors it
    Cql(
        "insert_following_if_new",
        "INSERT INTO following (user_id, bucket, followee_id) VALUES (?, ?, ?) IF NOT EXISTS",
        False,
    ),
    Cql(
        "delete_following_if_present",
        "DELETE FROM following WHERE user_id = ? AND bucket = ? AND followee_id = ? IF EXISTS",
        False,
    ),
    Cql(
        "select_following_edge",
        "SELECT followee_id FROM following WHERE user_id = ? AND bucket = ? AND followee_id = ?",
        True,
    ),
    Cql("insert_follower", "INSERT INTO followers (user_id, bucket, follower_id) VALUES (?, ?, ?)", True),
    Cql("delete_follower", "DELETE FROM followers WHERE user_id = ? AND bucket = ? AND follower_id = ?", True),
    Cql(
        "page_followers",
        "SELECT follower_id FROM followers WHERE user_id = ? AND bucket = ? AND follower_id > ? LIMIT ?",
        True,
    ),
    Cql(
        "page_following",
        "SELECT followee_id FROM following WHERE user_id = ? AND bucket = ? AND followee_id > ? LIMIT ?",
        True,
    ),
    Cql("scan_followers", "SELECT follower_id FROM followers WHERE user_id = ? AND bucket = ?", True),
    Cql("scan_following", "SELECT followee_id FROM following WHERE user_id = ? AND bucket = ?", True),
    Cql(
        "select_following_among",
        "SELECT followee_id FROM following WHERE user_id = ? AND bucket = ? AND followee_id IN ?",
        True,
    ),
    # blocks: one partition per (blocker, bucket of the blocked id)
    Cql(
        "insert_block_if_new",
        "INSERT INTO blocks (blocker_id, bucket, blocked_id) VALUES (?, ?, ?) IF NOT EXISTS",
        False,
    ),
    Cql(
        "delete_block_if_present",
        "DELETE FROM blocks WHERE blocker_id = ? AND bucket = ? AND blocked_id = ? IF EXISTS",
        False,
    ),
    Cql("select_block", "SELECT blocked_id FROM blocks WHERE blocker_id = ? AND bucket = ? AND blocked_id = ?", True),
    Cql("add_follower_count", "UPDATE follower_counts SET followers = followers + ? WHERE user_id = ?", False),
    Cql("select_follower_count", "SELECT followers FROM follower_counts WHERE user_id = ?", True),
)
