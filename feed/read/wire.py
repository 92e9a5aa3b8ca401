"""A page's response as the bytes that go on the wire: each hot post encoded once per process, then spliced.

A timeline response is `repeated Post posts = 1` followed by its page tokens (fields 2 and 3).
Protobuf's encoding of a repeated message field is each element as tag + varint length + its
bytes, and a message's fields may come in any order: so a response can be written by joining
the posts' bytes, kept per process, instead of building 20 Post messages and letting gRPC
serialize them again on every page (docs/performance.md, "Runs of 5 December (splice)").

A repost goes out as its original's bytes with `reposted_by_user_id` appended inside the
submessage (the length covers it): what the old path's message parses to, field for field.

Why the bytes are this process's own encoding of the post, not the Redis cache's bytes
verbatim: the cache may hold entries written by an older (or newer) version, with fields in
another order, fields this version drops, or none where this one writes one; the decoded
Post is what the filters judged, so its encoding is exactly what the old path sent. It is
made once per hot post per process, as the decoding is (feed/redis/post_cache.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from feed.domain import Post
from feed.v1 import feed_service_pb2, post_pb2

WIRE_MAX = 20_000  # posts whose bytes a process keeps (as many as it keeps decoded); cleared whole when full
_POSTS = b"\x0a"  # field 1 (posts), length-delimited
_NEXT_TOKEN = b"\x12"  # field 2 (next_page_token), length-delimited
_PREV_TOKEN = b"\x1a"  # field 3 (prev_page_token), length-delimited
_REPOSTED_BY = b"\x38"  # Post field 7 (reposted_by_user_id), varint


def varint(value: int) -> bytes:
    """value (0 <= value < 2**64) as a protobuf varint."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def post_message(post: Post) -> post_pb2.Post:
    """A post on the wire; a repost entry shows its original with the reposter set (docs/reposts.md)."""
    msg = post_pb2.Post(
        post_id=post.repost_of or post.post_id,
        author_id=post.author_id,
        text=post.text,
        group_id=post.group_id,
        org_id=post.org_id,
    )
    if post.reposted_by or post.repost_count:  # set only when there is something: most posts have neither
        msg.reposted_by_user_id, msg.repost_count = post.reposted_by, post.repost_count
    seconds, millis = divmod(post.create_time_ms, 1000)
    created = msg.create_time  # set directly, not FromMilliseconds(): this runs for every post on the old path
    created.seconds, created.nanos = seconds, millis * 1_000_000
    return msg


def _original(post: Post) -> Post:
    """The post a repost entry shows: the original's id and fields, no reposter."""
    return Post(
        post.repost_of, post.author_id, post.text, post.create_time_ms, post.group_id, post.org_id,
        repost_count=post.repost_count,
    )  # fmt: skip


def _field(tag: bytes, data: bytes) -> bytes:
    return tag + varint(len(data)) + data


class SplicedPage:
    """A timeline response as its bytes, what a servicer answers (services/edge.py sends `data` as it is)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    @property
    def posts(self) -> Sequence[post_pb2.Post]:
        """The page's posts as messages, parsed from the bytes again: for whatever reads a response's
        posts beside the client (a trace span naming them), never on the serving path. Every timeline
        response has its posts as field 1, so one message type parses them all."""
        return feed_service_pb2.GetHomeTimelineResponse.FromString(self.data).posts


class WirePosts:
    """The wire bytes of hot posts, by post id, and the pages spliced from them; thread-safe under the GIL.

    An entry is used only for the very post it was made from (the same object, or an equal
    one): a post whose cached copy changed (its repost count) gets new bytes, never stale ones."""

    def __init__(self, max_entries: int = WIRE_MAX) -> None:
        self._max = max_entries
        # post id -> (the post, its bytes framed as one element of field 1, where the Post bytes start in them)
        self._by_id: dict[int, tuple[Post, bytes, int]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def page(self, posts: Sequence[Post], next_token: str, prev_token: str = "", remember: bool = True) -> SplicedPage:
        """A timeline response's bytes: posts, then the tokens (empty ones left out, as protobuf does).

        remember=False for posts read from the store on every page (user and group timelines):
        they would only push the home timelines' hot posts out."""
        parts = [self._framed(post, remember) for post in posts]
        if next_token:
            parts.append(_field(_NEXT_TOKEN, next_token.encode()))
        if prev_token:
            parts.append(_field(_PREV_TOKEN, prev_token.encode()))
        return SplicedPage(b"".join(parts))

    def _framed(self, post: Post, remember: bool) -> bytes:
        if not post.repost_of:
            return self._entry(post, remember)[1]
        _, framed, start = self._entry(_original(post), remember)
        body = framed[start:]
        if post.reposted_by:  # appended inside the submessage: the length below covers it
            body += _REPOSTED_BY + varint(post.reposted_by)
        return _field(_POSTS, body)

    def _entry(self, post: Post, remember: bool) -> tuple[Post, bytes, int]:
        entry = self._by_id.get(post.post_id)
        if entry is not None:
            if entry[0] is post:  # a hot post is the decoded cache's one object, page after page
                return entry
            if entry[0] == post:  # the same post as another object (the store's, the first time it was
                entry = (post, entry[1], entry[2])  # read): kept as this one, so its next page takes `is`
                if remember:
                    self._by_id[post.post_id] = entry
                return entry
        body = post_message(post).SerializeToString()
        header = _POSTS + varint(len(body))
        entry = (post, header + body, len(header))
        if remember:
            if len(self._by_id) >= self._max:
                self._by_id.clear()  # whole, as the decoded cache: the bound holds without bookkeeping
            # Race: two pages may store different versions of one post; each checks the post on use.
            self._by_id[post.post_id] = entry
        return entry
