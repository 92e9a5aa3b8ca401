"""Hydrated posts cached in Redis, cache-aside, with deletion tombstones.

Readers fill the cache with SET NX and the write service writes tombstones
with a plain SET: whichever order the two race in, a tombstone is never
overwritten by a stale live copy.

Only a delete writes a tombstone (the write service's DeletePost and the
worker's apply of its event). An id the store does not have is cached as
nothing: ids are predictable, so a reader that cached its misses would let
anyone hide the posts of the next seconds by asking for them first, and a
store replica that has not seen a fresh post yet would hide it for a day.

Post keys carry no hash tag (a page's posts are by many authors, so no tag
would group them): on a Redis Cluster a page's lookup is one MGET per slot,
pipelined per node, and fills are pipelined per node the same way.

A home page's read brings the entries of its ids with it on a standalone Redis
(feed.lua tl_page_posts); get_many takes those (read) and asks Redis only for
the others, decoding both the same way.

Each round trip is timed (post_cache_get, post_cache_fill, post_cache_mark_deleted, post_cache_forget)
and a Redis that does not answer raises Unavailable, by the one policy of
feed/redis/calls.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import redis

from feed.domain import Post
from feed.redis.calls import round_trip
from feed.redis.cluster import mget
from feed.redis.connection import RedisClient
from feed.redis.keys import post_key
from feed.redis.packed_calls import packed_command
from feed.v1 import post_pb2

TOMBSTONE = b""  # a cached deletion: the post must not be shown, no store lookup needed
DECODED_MAX = 20_000  # decoded posts a process keeps (about 10 MB)


def serialize(post: Post) -> bytes:
    """A post's cached bytes; a repost's are a pointer: its original's id and its reposter (docs/reposts.md)."""
    if post.repost_of:
        return post_pb2.Post(
            post_id=post.repost_of, reposted_by_user_id=post.reposted_by, org_id=post.org_id
        ).SerializeToString()
    msg = post_pb2.Post(
        post_id=post.post_id,
        author_id=post.author_id,
        text=post.text,
        group_id=post.group_id,
        org_id=post.org_id,
        repost_count=post.repost_count,
    )
    msg.create_time.FromMilliseconds(post.create_time_ms)
    return msg.SerializeToString()


def deserialize(data: bytes) -> Post:
    """A cached post (a repost's pointer: post_id its original's id, reposted_by set, no author: see pointer_at)."""
    msg = post_pb2.Post.FromString(data)
    created = msg.create_time  # arithmetic, not ToMilliseconds(): this runs for every post of every page
    create_time_ms = created.seconds * 1000 + created.nanos // 1_000_000
    return Post(
        msg.post_id,
        msg.author_id,
        msg.text,
        create_time_ms,
        msg.group_id,
        msg.org_id,
        msg.reposted_by_user_id,
        0,
        msg.repost_count,
    )


def pointer_at(repost_id: int, pointer: Post) -> Post:
    """The unresolved repost a cached pointer stands for: its own id, the original's id, the reposter, no author."""
    return Post(repost_id, 0, "", 0, 0, pointer.org_id, reposted_by=pointer.reposted_by, repost_of=pointer.post_id)


class PostCache(Protocol):
    """Hydrated posts by id, cache-aside, with deletion tombstones. RedisPostCache is the backend; the read
    path's unit tests use an in-memory double that passes the same contract (tests/redis)."""

    def get_many(
        self, post_ids: Sequence[int], read: Mapping[int, Any] | None = None
    ) -> tuple[dict[int, Post], set[int]]:
        """Cached posts and tombstones among post_ids; ids in neither are misses. read: the entries of some
        of them as Redis answered them already (TimelinePage.cached), used instead of asking again."""
        ...

    def fill(self, posts: Sequence[Post]) -> None:
        """Cache posts read from the store; never replaces an entry (a tombstone above all)."""
        ...

    def mark_deleted(self, post_id: int) -> None:
        """Overwrite any cached copy with a tombstone: only for a post that was deleted."""
        ...

    def forget(self, post_id: int) -> None:
        """Drop the cached copy (a repost changed its count): the next read loads it from the store."""
        ...


class RedisPostCache:
    """Posts by id; get_many answers a dict of found posts and a set of tombstoned ids."""

    def __init__(self, client: RedisClient, ttl_s: int) -> None:
        self._client = client
        self._ttl_s = ttl_s
        # Posts decoded before, keyed by their cached bytes: what a hot post decodes to is kept, never
        # whether it is deleted (that is the tombstone's, read every time). Cleared whole when full:
        # dict operations need no lock under the GIL, and the bound holds.
        self._decoded: dict[bytes, Post] = {}
        self._standalone = isinstance(client, redis.Redis)  # else a cluster: MGET per slot (feed/redis/cluster.py)

    def get_many(
        self, post_ids: Sequence[int], read: Mapping[int, Any] | None = None
    ) -> tuple[dict[int, Post], set[int]]:
        """Cached posts and tombstones among post_ids; ids in neither are misses. read: entries Redis gave
        with a timeline page (values by id, None for a miss): only the ids not in it are asked for."""
        if not read:
            return self._decode(post_ids, self._values(post_ids))
        rest = [i for i in post_ids if i not in read]
        if not rest:
            return self._decode(post_ids, [read[i] for i in post_ids])  # the common page: no round trip
        fetched = dict(zip(rest, self._values(rest), strict=True))  # a read-time list's ids, a repost's original
        return self._decode(post_ids, [read[i] if i in read else fetched[i] for i in post_ids])

    def _values(self, post_ids: Sequence[int]) -> list[Any]:
        """The entries of post_ids in one round trip (on a cluster, one MGET per slot, pipelined per node)."""
        if not post_ids:
            return []
        keys = [post_key(i) for i in post_ids]
        with round_trip("post_cache_get"):
            return packed_command(self._client, ("MGET", *keys)) if self._standalone else mget(self._client, keys)

    def _decode(self, post_ids: Sequence[int], values: Sequence[Any]) -> tuple[dict[int, Post], set[int]]:
        """Posts and tombstones from the entries of post_ids, in order; decoded posts kept by their bytes."""
        found: dict[int, Post] = {}
        deleted: set[int] = set()
        decoded = self._decoded
        for post_id, value in zip(post_ids, values, strict=True):
            if value is None:
                continue
            if value == TOMBSTONE:
                deleted.add(post_id)
                continue
            post = decoded.get(value)
            if post is None:
                post = deserialize(value)
                if len(decoded) >= DECODED_MAX:
                    decoded.clear()
                decoded[value] = post
            found[post_id] = pointer_at(post_id, post) if post.reposted_by else post
        return found, deleted

    def fill(self, posts: Sequence[Post]) -> None:
        """Cache posts read from the store; NX, so a tombstone written meanwhile stays."""
        if not posts:
            return
        pipe = self._client.pipeline(transaction=False)
        for post in posts:
            pipe.set(post_key(post.post_id), serialize(post), ex=self._ttl_s, nx=True)
        with round_trip("post_cache_fill"):
            pipe.execute()

    def mark_deleted(self, post_id: int) -> None:
        """Overwrite any cached copy with a tombstone (done before the delete is published)."""
        with round_trip("post_cache_mark_deleted"):
            self._client.set(post_key(post_id), TOMBSTONE, ex=self._ttl_s)

    def forget(self, post_id: int) -> None:
        """Drop the cached copy. Should it drop a tombstone written meanwhile, the store still says
        deleted, and reads find nothing there."""
        with round_trip("post_cache_forget"):
            self._client.delete(post_key(post_id))
