"""The page stage: cut a page from what the filters kept, and the cursor of the next one.

Readers ask each round for one id more than they still want: that extra one
tells whether more remain without another read. When filters drop a run of
posts, a reader goes round again below the last id it read, up to MAX_ROUNDS.
"""

from __future__ import annotations

import dataclasses

from feed.domain import Post
from feed.read.merge import Candidates

MAX_ROUNDS = 5  # source reads per page when filters keep dropping posts


@dataclasses.dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    next_cursor: int | None  # page below this id next; None when nothing older is left


class PageBuilder:
    """Collects one page over the rounds of a read."""

    __slots__ = ("cursor", "posts", "size")

    def __init__(self, size: int, before_id: int | None) -> None:
        self.size = size
        self.cursor = before_id  # read below this id next round
        self.posts: list[Post] = []

    @property
    def wanted(self) -> int:
        """Posts the page still lacks (0 once full: the next round peeks for one more)."""
        return self.size - len(self.posts)

    def add(self, kept: list[Post], candidates: Candidates) -> FeedPage | None:
        """Take a round's kept posts; the finished page, or None when another round must read on."""
        want = self.wanted
        if len(kept) > want:  # a full page, and a post the reader may see after it
            self.posts += kept[:want]
            return FeedPage(self.posts, self.posts[-1].post_id)
        self.posts += kept
        if not candidates.more or not candidates.ids:
            return FeedPage(self.posts, None)  # every remaining id was read
        # A full page still peeks (want = 0: one id) for a post the reader may see, so that
        # posts hidden for good (a blocked author's group posts) never end a walk with an
        # empty page.
        self.cursor = candidates.ids[-1]
        return None

    def unfinished(self) -> FeedPage:
        """The page after MAX_ROUNDS: filters dropped a long run, the client continues below it."""
        return FeedPage(self.posts, self.cursor)
