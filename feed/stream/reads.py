"""The reads a stream makes: newer pages of its user's home timeline, from its position.

A stream delivers what GetHomeTimeline's newer pages return, so every filter of the
home timeline applies (blocks, deletions, groups, organizations) and a post is sent
once: the position only moves forward, past each post sent. Positions are the
prev page tokens of GetHomeTimeline, so a client can resume a stream with either.
These reads never spend the caller's read budget: the stream's open did, once.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from feed.domain import Post
from feed.ids import EPOCH_MS, NODE_BITS, SEQUENCE_BITS, now_ms
from feed.page_tokens import decode_id_cursor, encode_id_cursor
from feed.read.home import HomeTimelineReader

PAGE_SIZE = 50  # posts per catch-up read: a wake-up after one post reads one short page


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    """A post to send, and the resume token after it (resuming there sends what follows it)."""

    post: Post
    token: str


@dataclasses.dataclass(frozen=True, slots=True)
class NewerBatch:
    """One newer page from a position: deliveries oldest first, the position after them, and
    whether more newer posts remain past it."""

    deliveries: list[Delivery]
    token: str
    more: bool


class NewerReads(Protocol):
    def top(self, user_id: int, org_id: int) -> str:
        """A position at the newest post of the timeline (now, for an empty one): start live."""
        ...

    def newer(self, user_id: int, org_id: int, token: str) -> NewerBatch:
        """The page of posts just newer than token."""
        ...


def id_at(ms: int) -> int:
    """The smallest id a generator can make at ms: a position at "now" for an empty timeline."""
    return (ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)


class HomeNewerReads:
    """NewerReads over the home timeline reader (sync: run it in the streams' thread pool)."""

    def __init__(self, home: HomeTimelineReader, page_size: int = PAGE_SIZE) -> None:
        self._home = home
        self._size = page_size

    def top(self, user_id: int, org_id: int) -> str:
        page = self._home.read(user_id, None, 1, org_id)
        return encode_id_cursor(page.posts[0].post_id if page.posts else id_at(now_ms()))

    def newer(self, user_id: int, org_id: int, token: str) -> NewerBatch:
        # Interim until the newer-page reader lands: the newest page, kept above the position.
        cursor = decode_id_cursor(token) or 0
        page = self._home.read(user_id, None, 100, org_id)
        fresh = [p for p in reversed(page.posts) if p.post_id > cursor]
        kept = fresh[: self._size]
        deliveries = [Delivery(p, encode_id_cursor(p.post_id)) for p in kept]
        return NewerBatch(deliveries, deliveries[-1].token if deliveries else token, len(fresh) > len(kept))
