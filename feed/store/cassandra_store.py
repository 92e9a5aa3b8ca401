"""Cassandra backend of the store contracts: the production store.

FEED_STORE=cassandra://host1,host2:9043,[::1]/keyspace names the contact points
(each with an optional port, 9042 by default) and the keyspace. Everything else
comes from FEED_CASSANDRA_* variables read by CassandraSettings.from_env, so
credentials never sit in a URL that gets logged. The tables are in feed/cql and
are created by `feed schema apply`, never by the services (see cassandra_schema).
The posts half lives here; the graph half in cassandra_graph.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from cassandra import ConsistencyLevel

from feed.domain import Post
from feed.errors import InvalidArgument
from feed.ids import MAX_ID
from feed.store.base import PostStore, Store
from feed.store.cassandra_graph import CassandraGraphStore
from feed.store.cassandra_layout import author_bucket, delete_time_us, write_time_us
from feed.store.cassandra_schema import parse_replication, schema_files
from feed.store.cassandra_session import CassandraSession

DEFAULT_PORT = 9042
DEFAULT_LOCAL_DC = "datacenter1"
DEFAULT_CONSISTENCY = "LOCAL_QUORUM"
DEFAULT_REPLICATION = "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}"
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 120.0
# Levels a read or a write may use (SERIAL levels are for LWTs, ANY is write-only).
CONSISTENCY_LEVELS = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")
_KEYSPACE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")  # unquoted, so it can be spliced into CQL safely
_HOST = re.compile(r"^[A-Za-z0-9._-]+$")
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]+$")
_DC = re.compile(r"^[A-Za-z0-9._-]+$")
_DIGITS = re.compile(r"^[0-9]{1,5}$")
_MAX_LIMIT = (1 << 31) - 1  # CQL LIMIT is a 32-bit int


@dataclasses.dataclass(frozen=True)
class CassandraSettings:
    """Where the cluster is and how to talk to it. The password never appears in repr."""

    contact_points: tuple[tuple[str, int], ...]
    keyspace: str
    local_dc: str = DEFAULT_LOCAL_DC
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    consistency: str = DEFAULT_CONSISTENCY
    replication: str = dataclasses.field(default_factory=lambda: parse_replication(DEFAULT_REPLICATION, "default"))
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] | None = None) -> CassandraSettings:
        """Parse the URL and read FEED_CASSANDRA_*; raise InvalidArgument naming the bad one."""
        env = os.environ if env is None else env
        contact_points, keyspace = parse_cassandra_url(url)
        local_dc = env.get("FEED_CASSANDRA_LOCAL_DC") or DEFAULT_LOCAL_DC
        if not _DC.match(local_dc):
            raise InvalidArgument(f"FEED_CASSANDRA_LOCAL_DC must be a datacenter name, got {local_dc!r}")
        username = env.get("FEED_CASSANDRA_USERNAME") or ""
        password = env.get("FEED_CASSANDRA_PASSWORD") or ""
        if bool(username) != bool(password):
            raise InvalidArgument("FEED_CASSANDRA_USERNAME and FEED_CASSANDRA_PASSWORD must be set together")
        consistency = (env.get("FEED_CASSANDRA_CONSISTENCY") or DEFAULT_CONSISTENCY).upper()
        if consistency not in CONSISTENCY_LEVELS:
            raise InvalidArgument(
                f"FEED_CASSANDRA_CONSISTENCY must be one of {', '.join(CONSISTENCY_LEVELS)}, got {consistency!r}"
            )
        replication = parse_replication(
            env.get("FEED_CASSANDRA_REPLICATION") or DEFAULT_REPLICATION, "FEED_CASSANDRA_REPLICATION"
        )
        raw_timeout = env.get("FEED_CASSANDRA_TIMEOUT_S") or str(DEFAULT_TIMEOUT_S)
        try:
            timeout_s = float(raw_timeout)
        except ValueError:
            timeout_s = math.nan
        if not 0 < timeout_s <= MAX_TIMEOUT_S:  # also false for nan
            raise InvalidArgument(
                f"FEED_CASSANDRA_TIMEOUT_S must be seconds in (0, {MAX_TIMEOUT_S:g}], got {raw_timeout!r}"
            )
        return cls(contact_points, keyspace, local_dc, username, password, consistency, replication, timeout_s)

    @property
    def consistency_level(self) -> int:
        return ConsistencyLevel.name_to_value[self.consistency]

    @property
    def serial_consistency_level(self) -> int:
        """The level of the Paxos round of LWTs: cluster-wide only when plain statements are too.

        LOCAL_SERIAL keeps an idempotency key or a follow edge linearizable within
        the local datacenter, which is where one user's requests are served.
        """
        if self.consistency in ("QUORUM", "EACH_QUORUM", "ALL"):
            return ConsistencyLevel.SERIAL
        return ConsistencyLevel.LOCAL_SERIAL


def parse_cassandra_url(url: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Contact points and keyspace of cassandra://host[:port][,host[:port]...]/keyspace."""
    prefix = "cassandra://"
    if not url.startswith(prefix):
        raise InvalidArgument(f"a Cassandra FEED_STORE starts with {prefix}, got {url!r}")
    netloc, _, keyspace = url[len(prefix) :].partition("/")
    if "@" in netloc:
        raise InvalidArgument("FEED_STORE must not carry credentials; set FEED_CASSANDRA_USERNAME/PASSWORD instead")
    if not _KEYSPACE.match(keyspace):
        raise InvalidArgument(
            f"FEED_STORE {url!r} must end in /keyspace: a lowercase letter, then up to 47 of [a-z0-9_]"
        )
    return tuple(_contact_point(entry, url) for entry in netloc.split(",")), keyspace


def _contact_point(entry: str, url: str) -> tuple[str, int]:
    if entry.startswith("["):  # [IPv6] or [IPv6]:port
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or not _IPV6.match(host) or (rest and not rest.startswith(":")):
            raise InvalidArgument(f"FEED_STORE {url!r}: bad IPv6 contact point {entry!r}")
        port = rest[1:] if rest else ""
    else:
        host, _, port = entry.partition(":")
        if not _HOST.match(host):
            raise InvalidArgument(f"FEED_STORE {url!r}: bad contact point {entry!r} (write IPv6 as [addr]:port)")
    if not port:
        return host, DEFAULT_PORT
    if not _DIGITS.match(port) or not 0 < int(port) < 65536:
        raise InvalidArgument(f"FEED_STORE {url!r}: port of {entry!r} must be 1..65535")
    return host, int(port)


def open_cassandra_store(url: str) -> Store:
    """Connect to the keyspace the URL names (settings from FEED_CASSANDRA_*); both halves share one session."""
    versions = [schema_file.version for schema_file in schema_files()]
    db = CassandraSession(CassandraSettings.from_env(url), required_versions=versions)
    return Store(posts=CassandraPostStore(db), graph=CassandraGraphStore(db))


class CassandraPostStore(PostStore):
    """Posts by id, and each author's posts in 30-day partitions, newest first.

    Creation writes with timestamps taken from the post id (write_time_us), so a
    replayed create is a no-op and cannot undo a delete. The `posts` row is
    written last: it is the commit point an idempotent retry looks for.
    """

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def create_post(self, post: Post, idempotency_key: str = "") -> tuple[Post, bool]:
        if idempotency_key:
            # The LWT picks one winner among concurrent retries; the others get its post id.
            claim = self._db.execute("claim_idempotency_key", (post.author_id, idempotency_key, post.post_id))
            if not claim.was_applied:
                return self._replay(post, claim.one().post_id)
        self._write(post)
        return post, True

    def _replay(self, post: Post, claimed_id: int) -> tuple[Post, bool]:
        row = self._db.execute("select_post", (claimed_id,)).one()
        if row is not None:  # deleted or not: a retry must not bring back a deleted post
            return _post(row), False
        # The claim's owner died (or is still writing) between its claim and its posts row.
        # Finish its work under the claimed id, so the key still names exactly one post. A
        # slow owner writing too writes its copy of the same request at the same timestamp,
        # and replicas settle on one of the two.
        claimed = dataclasses.replace(post, post_id=claimed_id)
        self._write(claimed)
        return claimed, True

    def _write(self, post: Post) -> None:
        at = write_time_us(post.post_id)
        bucket = author_bucket(post.post_id)
        self._db.execute_all(
            [
                ("insert_author_bucket", (post.author_id, bucket, at)),
                ("insert_author_post", (post.author_id, bucket, post.post_id, post.text, post.create_time_ms, at)),
                ("insert_user", (post.author_id,)),
            ]
        )
        # Last, so that a found posts row means the listing rows above exist too.
        self._db.execute("insert_post", (post.post_id, post.author_id, post.text, post.create_time_ms, at))

    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        ids = list(dict.fromkeys(post_ids))
        found: dict[int, Post] = {}
        # One single-partition read per id, in parallel: token-aware routing sends each to a
        # replica, where `post_id IN (...)` would make one coordinator gather them all.
        for result in self._db.execute_many("select_post", [(post_id,) for post_id in ids]):
            row = result.one()
            if row is not None and not row.deleted:
                found[row.post_id] = _post(row)
        return found

    def delete_post(self, post_id: int) -> bool:
        row = self._db.execute("select_post", (post_id,)).one()
        if row is None:
            return False
        # Unlist first, then flag: a delete that dies between the two is completed by its
        # retry, which unlists again even when the flag is already set.
        at = delete_time_us(post_id, time.time_ns() // 1000)
        self._db.execute("delete_author_post", (at, row.author_id, author_bucket(post_id), post_id))
        # An LWT, so that of two concurrent deletes exactly one reports True.
        return bool(self._db.execute("mark_post_deleted", (post_id,)).was_applied)

    def list_author_posts(self, author_id: int, before_id: int | None, limit: int) -> list[Post]:
        if limit < 1:
            return []
        # MAX_ID is never issued, so "< MAX_ID" with no cursor misses nothing
        before = MAX_ID if before_id is None else before_id
        newest = author_bucket(before)
        # The author's non-empty buckets, newest first: years of silence cost no reads.
        buckets = [
            row.bucket for row in self._db.execute("select_author_buckets", (author_id,)) if row.bucket <= newest
        ]
        posts: list[Post] = []
        for bucket in buckets:
            want = min(limit - len(posts), _MAX_LIMIT)
            rows = self._db.execute("select_author_posts", (author_id, bucket, before, want))
            posts.extend(Post(row.post_id, author_id, row.text, row.create_time_ms) for row in rows)
            if len(posts) >= limit:
                break
        return posts

    def close(self) -> None:
        self._db.close()


def _post(row: Any) -> Post:
    return Post(post_id=row.post_id, author_id=row.author_id, text=row.text, create_time_ms=row.create_time_ms)
