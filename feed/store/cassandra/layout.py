"""The one owner of the Cassandra data layout: buckets, write times, page tokens, statements.

Everything here is pure (no driver import), so the rules that stored rows depend
on are unit-tested without a cluster. The tables themselves are in feed/store/cassandra/cql/*.cql.
The bucketed edge tables (follows, blocks, organization users, memberships) share
one shape, so their statements are generated from EDGE_TABLES by edge_statements.

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


@dataclasses.dataclass(frozen=True, slots=True)
class EdgeTable:
    """A bucketed edge table: PRIMARY KEY ((owner, bucket), other), bucket = edge_bucket(other).

    lwt: the table of record, written only by lightweight transactions, so "was it
    new" and "was it there" have one answer under retries. Otherwise a mirror,
    written by plain idempotent statements after its record.
    """

    name: str
    owner: str
    other: str
    lwt: bool


FOLLOWING = EdgeTable("following", "user_id", "followee_id", lwt=True)
FOLLOWERS = EdgeTable("followers", "user_id", "follower_id", lwt=False)
BLOCKS = EdgeTable("blocks", "blocker_id", "blocked_id", lwt=True)
BLOCKED_BY = EdgeTable("blocked_by", "user_id", "blocker_id", lwt=False)
ORG_USERS = EdgeTable("org_users", "org_id", "user_id", lwt=False)  # mirrors user_orgs
ORG_GROUPS = EdgeTable("org_groups", "org_id", "group_id", lwt=False)
MEMBER_GROUPS = EdgeTable("member_groups", "user_id", "group_id", lwt=True)
GROUP_MEMBERS = EdgeTable("group_members", "group_id", "user_id", lwt=False)
EDGE_TABLES = (FOLLOWING, FOLLOWERS, BLOCKS, BLOCKED_BY, ORG_USERS, ORG_GROUPS, MEMBER_GROUPS, GROUP_MEMBERS)


def edge_statements(table: EdgeTable) -> tuple[Cql, ...]:
    """The statements of one edge table, named "<table>.<verb>" (add, remove, has, among, page, scan, drop;
    on a mirror also add_at and remove_at)."""
    t, owner, other = table.name, table.owner, table.other
    key = f"{owner} = ? AND bucket = ?"
    add = f"INSERT INTO {t} ({owner}, bucket, {other}) VALUES (?, ?, ?)"
    remove = f"DELETE FROM {t} WHERE {key} AND {other} = ?"
    return (
        Cql(f"{t}.add", add + (" IF NOT EXISTS" if table.lwt else ""), not table.lwt),
        Cql(f"{t}.remove", remove + (" IF EXISTS" if table.lwt else ""), not table.lwt),
        Cql(f"{t}.has", f"SELECT {other} FROM {t} WHERE {key} AND {other} = ?", True),
        Cql(f"{t}.among", f"SELECT {other} FROM {t} WHERE {key} AND {other} IN ?", True),
        Cql(f"{t}.page", f"SELECT {other} FROM {t} WHERE {key} AND {other} > ? LIMIT ?", True),
        Cql(f"{t}.scan", f"SELECT {other} FROM {t} WHERE {key}", True),
        Cql(f"{t}.drop", f"DELETE FROM {t} WHERE {key}", True),  # a whole partition: purges only
        *(() if table.lwt else _timed_mirror_statements(table)),
    )


def _timed_mirror_statements(table: EdgeTable) -> tuple[Cql, ...]:
    """A mirror's add and remove at a given write time: the rows a change writes in its outbox batch."""
    t, owner, other = table.name, table.owner, table.other
    return (
        Cql(f"{t}.add_at", f"INSERT INTO {t} ({owner}, bucket, {other}) VALUES (?, ?, ?) USING TIMESTAMP ?", True),
        Cql(
            f"{t}.remove_at",
            f"DELETE FROM {t} USING TIMESTAMP ? WHERE {owner} = ? AND bucket = ? AND {other} = ?",
            True,
        ),
    )


POST_COLUMNS = "post_id, author_id, text, create_time_ms, deleted, group_id, org_id, idempotency_key"

_POSTS: tuple[Cql, ...] = (
    Cql(
        "insert_post",
        f"INSERT INTO posts ({POST_COLUMNS}) VALUES (?, ?, ?, ?, false, ?, ?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql("select_post", f"SELECT {POST_COLUMNS} FROM posts WHERE post_id = ?", True),
    Cql("mark_post_deleted", "UPDATE posts SET deleted = true WHERE post_id = ? IF deleted = false", False),
    Cql("purge_post", "DELETE FROM posts USING TIMESTAMP ? WHERE post_id = ?", True),
    Cql(  # the claim keeps the first call's post and outbox records (004): a retry can finish it
        "claim_idempotency_key",
        "INSERT INTO post_idempotency (author_id, idempotency_key, post_id, text, create_time_ms, group_id, org_id, "
        "outbox) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
        False,
    ),
    Cql("release_idempotency_key", "DELETE FROM post_idempotency WHERE author_id = ? AND idempotency_key = ?", True),
    # an author's posts to followers (group_id 0)
    Cql(
        "insert_author_post",
        "INSERT INTO posts_by_author (author_id, bucket, post_id, text, create_time_ms, org_id) "
        "VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql(
        "insert_author_bucket",
        "INSERT INTO author_post_buckets (author_id, bucket) VALUES (?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql("select_author_buckets", "SELECT bucket FROM author_post_buckets WHERE author_id = ?", True),
    Cql(
        "select_author_posts",
        "SELECT post_id, text, create_time_ms, org_id FROM posts_by_author "
        "WHERE author_id = ? AND bucket = ? AND post_id < ? LIMIT ?",
        True,
    ),
    Cql(  # the oldest above a cursor: a newer page's
        "select_author_posts_after",
        "SELECT post_id, text, create_time_ms, org_id FROM posts_by_author "
        "WHERE author_id = ? AND bucket = ? AND post_id > ? AND post_id < ? ORDER BY post_id ASC LIMIT ?",
        True,
    ),
    Cql(
        "delete_author_post",
        "DELETE FROM posts_by_author USING TIMESTAMP ? WHERE author_id = ? AND bucket = ? AND post_id = ?",
        True,
    ),
    # every post of an author, group and deleted ones included (purge_author)
    Cql(
        "insert_author_post_id",
        "INSERT INTO author_post_ids (author_id, bucket, post_id) VALUES (?, ?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql("scan_author_post_ids", "SELECT post_id FROM author_post_ids WHERE author_id = ? AND bucket = ?", True),
    Cql("scan_author_posts", "SELECT post_id FROM posts_by_author WHERE author_id = ? AND bucket = ?", True),
    Cql(
        "delete_author_post_id",
        "DELETE FROM author_post_ids USING TIMESTAMP ? WHERE author_id = ? AND bucket = ? AND post_id = ?",
        True,
    ),
    Cql("drop_author_buckets", "DELETE FROM author_post_buckets WHERE author_id = ?", True),
    # a group's posts, bucketed as an author's
    Cql(
        "insert_group_post",
        "INSERT INTO posts_by_group (group_id, bucket, post_id, author_id, text, create_time_ms, org_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql(
        "insert_group_bucket",
        "INSERT INTO group_post_buckets (group_id, bucket) VALUES (?, ?) USING TIMESTAMP ?",
        True,
    ),
    Cql("select_group_buckets", "SELECT bucket FROM group_post_buckets WHERE group_id = ?", True),
    Cql(
        "select_group_posts",
        "SELECT post_id, author_id, text, create_time_ms, org_id FROM posts_by_group "
        "WHERE group_id = ? AND bucket = ? AND post_id < ? LIMIT ?",
        True,
    ),
    Cql(  # the oldest above a cursor: a newer page's
        "select_group_posts_after",
        "SELECT post_id, author_id, text, create_time_ms, org_id FROM posts_by_group "
        "WHERE group_id = ? AND bucket = ? AND post_id > ? AND post_id < ? ORDER BY post_id ASC LIMIT ?",
        True,
    ),
    Cql(
        "delete_group_post",
        "DELETE FROM posts_by_group USING TIMESTAMP ? WHERE group_id = ? AND bucket = ? AND post_id = ?",
        True,
    ),
    Cql("drop_group_buckets", "DELETE FROM group_post_buckets WHERE group_id = ?", True),
)

_USERS_AND_COUNTS: tuple[Cql, ...] = (
    Cql("insert_user", "INSERT INTO users (user_id) VALUES (?)", True),
    Cql("delete_user", "DELETE FROM users WHERE user_id = ?", True),
    Cql("scan_users", "SELECT user_id FROM users", True),
    Cql("add_follower_count", "UPDATE follower_counts SET followers = followers + ? WHERE user_id = ?", False),
    Cql("select_follower_count", "SELECT followers FROM follower_counts WHERE user_id = ?", True),
    Cql("delete_follower_count", "DELETE FROM follower_counts WHERE user_id = ?", True),
)

GROUP_COLUMNS = "group_id, org_id, name, visibility, kind, creator_id, create_time_ms"

_ORGS: tuple[Cql, ...] = (
    Cql("bind_user", "INSERT INTO user_orgs (user_id, org_id) VALUES (?, ?) IF NOT EXISTS", False),
    Cql("select_user_org", "SELECT user_id, org_id FROM user_orgs WHERE user_id = ?", True),
    Cql("unbind_user", "DELETE FROM user_orgs WHERE user_id = ? IF EXISTS", False),
    Cql("insert_group", f"INSERT INTO groups ({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", True),
    Cql("select_group", f"SELECT {GROUP_COLUMNS} FROM groups WHERE group_id = ?", True),
    Cql("delete_group", "DELETE FROM groups WHERE group_id = ?", True),
    Cql(
        "claim_announcements",
        "INSERT INTO org_announcements (org_id, group_id) VALUES (?, ?) IF NOT EXISTS",
        False,
    ),
    Cql("select_announcements", "SELECT group_id FROM org_announcements WHERE org_id = ?", True),
    Cql("release_announcements", "DELETE FROM org_announcements WHERE org_id = ? IF group_id = ?", False),
    Cql("add_member_count", "UPDATE group_member_counts SET members = members + ? WHERE group_id = ?", False),
    Cql("select_member_count", "SELECT members FROM group_member_counts WHERE group_id = ?", True),
    Cql("delete_member_count", "DELETE FROM group_member_counts WHERE group_id = ?", True),
    # invitations (006), bucketed by edge_bucket(user_id): the TTL only cleans up, reads compare expires_ms
    Cql(
        "insert_invitation",
        "INSERT INTO group_invitations (group_id, bucket, user_id, inviter_id, expires_ms) VALUES (?, ?, ?, ?, ?) "
        "USING TTL ?",
        True,
    ),
    Cql(
        "select_invitation",
        "SELECT inviter_id, expires_ms FROM group_invitations WHERE group_id = ? AND bucket = ? AND user_id = ?",
        True,
    ),
    Cql(
        "delete_invitation",
        "DELETE FROM group_invitations WHERE group_id = ? AND bucket = ? AND user_id = ?",
        True,
    ),
    Cql("drop_group_invitations", "DELETE FROM group_invitations WHERE group_id = ? AND bucket = ?", True),
)

OUTBOX_COLUMNS = "shard, bucket, seq, key, value, headers, created_ms"
_OUTBOX: tuple[Cql, ...] = (
    Cql("outbox.insert", f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?", True),
    Cql(
        "outbox.read",
        "SELECT seq, key, value, headers, created_ms FROM outbox WHERE shard = ? AND bucket = ? AND seq > ? LIMIT ?",
        True,
    ),
    Cql("outbox.count", "SELECT created_ms FROM outbox WHERE shard = ? AND bucket = ? AND seq > ? LIMIT ?", True),
    Cql("outbox.delete", "DELETE FROM outbox USING TIMESTAMP ? WHERE shard = ? AND bucket = ? AND seq = ?", True),
    Cql("outbox.buckets", "SELECT DISTINCT shard, bucket FROM outbox", True),  # only when no cursor is saved
    Cql("outbox.cursor", "SELECT settled FROM outbox_cursor WHERE shard = ?", True),
    Cql("outbox.save_cursor", "INSERT INTO outbox_cursor (shard, settled) VALUES (?, ?)", True),
)

# read markers (005): compare-and-set by LWT on the version
_MARKERS: tuple[Cql, ...] = (
    Cql("marker.select", "SELECT post_id, version, update_time_ms FROM read_markers WHERE user_id = ?", True),
    Cql(
        "marker.create",
        "INSERT INTO read_markers (user_id, post_id, version, update_time_ms) VALUES (?, ?, ?, ?) IF NOT EXISTS",
        False,
    ),
    Cql(
        "marker.move",
        "UPDATE read_markers SET post_id = ?, version = ?, update_time_ms = ? WHERE user_id = ? IF version = ?",
        False,
    ),
    Cql("marker.delete", "DELETE FROM read_markers WHERE user_id = ?", True),
)

# mutes and keyword filters (007): one partition per user; the TTL only cleans up, reads compare expire_ms
_QUIET: tuple[Cql, ...] = (
    Cql("mute.insert", "INSERT INTO mutes (muter_id, muted_id, expire_ms) VALUES (?, ?, ?) USING TTL ?", True),
    Cql("mute.select", "SELECT muted_id FROM mutes WHERE muter_id = ? AND muted_id = ?", True),
    Cql("mute.delete", "DELETE FROM mutes WHERE muter_id = ? AND muted_id = ?", True),
    Cql("mute.page", "SELECT muted_id, expire_ms FROM mutes WHERE muter_id = ? AND muted_id > ? LIMIT ?", True),
    Cql("mute.all", "SELECT muted_id, expire_ms FROM mutes WHERE muter_id = ?", True),
    Cql("mute.purge", "DELETE FROM mutes WHERE muter_id = ?", True),
    Cql(
        "filter.insert",
        "INSERT INTO keyword_filters (user_id, filter_id, phrase, whole_word, expire_ms) VALUES (?, ?, ?, ?, ?) "
        "USING TTL ?",
        True,
    ),
    Cql("filter.select", "SELECT filter_id FROM keyword_filters WHERE user_id = ? AND filter_id = ?", True),
    Cql("filter.delete", "DELETE FROM keyword_filters WHERE user_id = ? AND filter_id = ?", True),
    Cql("filter.all", "SELECT filter_id, phrase, whole_word, expire_ms FROM keyword_filters WHERE user_id = ?", True),
    Cql("filter.purge", "DELETE FROM keyword_filters WHERE user_id = ?", True),
)
# Reposts (008_reposts.cql): one record in four tables, written and deleted in one batch; the count apart.
REPOST_COLUMNS = "repost_id, reposter_id, post_id, org_id, create_time_ms"
_REPOSTS = (
    Cql("repost.insert", f"INSERT INTO reposts ({REPOST_COLUMNS}) VALUES (?, ?, ?, ?, ?)", True),
    Cql("repost.insert_key", f"INSERT INTO repost_keys ({REPOST_COLUMNS}) VALUES (?, ?, ?, ?, ?)", True),
    Cql(
        "repost.insert_by_post",
        f"INSERT INTO reposts_by_post ({REPOST_COLUMNS}, bucket) VALUES (?, ?, ?, ?, ?, ?)",
        True,
    ),
    Cql(
        "repost.insert_by_user",
        f"INSERT INTO reposts_by_user ({REPOST_COLUMNS}, bucket) VALUES (?, ?, ?, ?, ?, ?)",
        True,
    ),
    Cql("repost.select", f"SELECT {REPOST_COLUMNS} FROM reposts WHERE repost_id = ?", True),
    Cql("repost.find", f"SELECT {REPOST_COLUMNS} FROM repost_keys WHERE reposter_id = ? AND post_id = ?", True),
    Cql("repost.of", f"SELECT {REPOST_COLUMNS} FROM reposts_by_post WHERE post_id = ? AND bucket = ? LIMIT ?", True),
    Cql(
        "repost.of_user",
        f"SELECT {REPOST_COLUMNS} FROM reposts_by_user WHERE reposter_id = ? AND bucket = ? AND repost_id < ? LIMIT ?",
        True,
    ),
    Cql("repost.count", "SELECT reposts FROM repost_counts WHERE post_id = ?", True),
    Cql("repost.add_count", "UPDATE repost_counts SET reposts = reposts + ? WHERE post_id = ?", False),
    Cql("repost.delete", "DELETE FROM reposts WHERE repost_id = ?", True),
    Cql("repost.delete_key", "DELETE FROM repost_keys WHERE reposter_id = ? AND post_id = ?", True),
    Cql(
        "repost.delete_by_post", "DELETE FROM reposts_by_post WHERE post_id = ? AND bucket = ? AND repost_id = ?", True
    ),
    Cql(
        "repost.delete_by_user",
        "DELETE FROM reposts_by_user WHERE reposter_id = ? AND bucket = ? AND repost_id = ?",
        True,
    ),
)

STATEMENTS: tuple[Cql, ...] = (
    *_POSTS,
    *_MARKERS,
    *_QUIET,
    *_REPOSTS,
    *_OUTBOX,
    *_USERS_AND_COUNTS,
    *_ORGS,
    *(cql for table in EDGE_TABLES for cql in edge_statements(table)),
)
