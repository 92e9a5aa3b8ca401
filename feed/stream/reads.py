"""The reads a stream makes: newer pages of its user's home timeline, from its position.

A stream delivers what GetHomeTimeline's newer pages return, so every filter of the
home timeline applies (blocks, deletions, groups, organizations) and a post is sent
once: the position only moves forward, past each post sent. Positions are the
prev page tokens of GetHomeTimeline, so a client can resume a stream with either.
These reads never spend the caller's read budget: the stream's open did, once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Set
from typing import Protocol

from feed.domain import Post
from feed.ids import MAX_ID, now_ms
from feed.page_tokens import decode_newer_cursor, encode_newer_cursor
from feed.read.home import HomeTimelineReader
from feed.read.newer import advance, after_older_page
from feed.store.reposts import RepostStore

PAGE_SIZE = 50  # posts per catch-up read: a wake-up after one post reads one short page
REPOSTS_ASKED = 1_000  # reposts of one post listed to find those of the reader's followees (one store query)
ENTRIES_CHECKED = 8  # entries of one post an unrepost's check reads for (a page of one post each), at most


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

    def unreposted(
        self, user_id: int, org_id: int, token: str, post_id: int, reposter_id: int, followed: Set[int]
    ) -> str | None:
        """After reposter_id's repost of post_id went: None while the home timeline still shows the post,
        else the position to go on from (the post forgotten: a later repost of it is shown again)."""
        ...


class HomeNewerReads:
    """NewerReads over the home timeline reader (sync: run it in the streams' thread pool)."""

    def __init__(
        self,
        home: HomeTimelineReader,
        reposts: RepostStore | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        """reposts: where an unrepost's check finds the other reposts (None: it checks the original only)."""
        self._home = home
        self._reposts = reposts
        self._size = page_size
        self._clock = clock

    def top(self, user_id: int, org_id: int) -> str:
        """The prev_page_token of the timeline's first page of one post: just above its newest post."""
        page = self._home.read(user_id, None, 1, org_id)
        return encode_newer_cursor(after_older_page(page, None, self._clock()))

    def newer(self, user_id: int, org_id: int, token: str) -> NewerBatch:
        start = decode_newer_cursor(token)
        page = self._home.read_newer(user_id, start, self._size, org_id)  # no budget: the open spent it
        oldest_first = page.posts[::-1]
        read: list[int] = []
        deliveries = []
        for n, post in enumerate(oldest_first):
            read.append(post.post_id)
            # The last one's token is the page's own (it also skips the ids the filters hid for good).
            after = page.newer if n == len(oldest_first) - 1 else advance(start, read, oldest_first[: n + 1])
            deliveries.append(Delivery(post, encode_newer_cursor(after)))
        return NewerBatch(deliveries, encode_newer_cursor(page.newer), page.more)

    def unreposted(
        self, user_id: int, org_id: int, token: str, post_id: int, reposter_id: int, followed: Set[int]
    ) -> str | None:
        if self.still_shown(user_id, org_id, post_id, reposter_id, followed):
            return None
        return forget_shown(token, post_id)

    def still_shown(self, user_id: int, org_id: int, post_id: int, reposter_id: int, followed: Set[int]) -> bool:
        """Whether a home page would still show post_id: through itself, or through a repost by someone in
        followed (the stream's followees and its user) other than reposter_id. Each entry is asked of the
        read path itself (a page of one post just below it, every filter applied, Redis then the store), so
        the answer is what GetHomeTimeline shows; at most ENTRIES_CHECKED pages, the newest entries first."""
        entries = [post_id]
        if self._reposts is not None:
            others = self._reposts.reposts_of(post_id, REPOSTS_ASKED)
            entries += sorted(
                (r.repost_id for r in others if r.reposter_id != reposter_id and r.reposter_id in followed),
                reverse=True,
            )[: ENTRIES_CHECKED - 1]
        for entry in entries:
            page = self._home.read(user_id, min(entry + 1, MAX_ID), 1, org_id)  # no budget: the open spent it
            if page.posts and page.posts[0].post_id == entry:
                return True
        return False


def forget_shown(token: str, post_id: int) -> str:
    """token without post_id among the originals it remembers as shown: the client was told to remove it."""
    newer = decode_newer_cursor(token)
    if post_id not in newer.shown:
        return token
    return encode_newer_cursor(dataclasses.replace(newer, shown=tuple(i for i in newer.shown if i != post_id)))


def check_token(token: str) -> None:
    """InvalidArgument unless token is a prev_page_token or a resume_token (checked at the stream's open)."""
    if token:
        decode_newer_cursor(token)
