"""The follow guard: the reader's relationships, fetched from the store in bulk before filtering.

The store is asked, never a cache: an unfollow, a block or a leave must hide
the author or group from the very next read, whatever the workers have applied
to Redis yet. One query per kind of fact for what a round of a page brings in,
and none for what was asked already.
"""

from __future__ import annotations

from collections.abc import Iterable

from feed.domain import Post, Source
from feed.read.stages import ReadFacts
from feed.store.base import Store


class FollowGuard:
    """Fills one reader's ReadFacts for one page read: whom they follow, which groups they are in,
    who blocked whom, among the authors and groups of the posts and sources met so far."""

    def __init__(self, store: Store, reader_id: int) -> None:
        self._store = store
        self._reader = reader_id
        self.facts = ReadFacts()
        self._asked: set[int] = {reader_id}  # the reader's own posts are always shown
        self._groups_asked: set[int] = set()
        self._blocks_asked: set[int] = {reader_id}

    def learn(self, posts: Iterable[Post], sources: frozenset[Source] = frozenset()) -> None:
        """Learn what filtering these posts and merging these read-time sources needs: at most
        one store query per kind of fact, and none for facts already known."""
        authors = {s.author_id for s in sources if s.author_id}
        groups = {s.group_id for s in sources if s.group_id}
        group_authors: set[int] = set()
        for post in posts:
            if post.group_id:
                groups.add(post.group_id)
                group_authors.add(post.author_id)
            else:
                authors.add(post.author_id)
        self.check(authors)
        new_groups = groups - self._groups_asked
        if new_groups:
            self.facts.groups |= self._store.orgs.groups_among(self._reader, new_groups)
            self._groups_asked |= new_groups
        self.check_blocks(group_authors)

    def reads(self, source: Source) -> bool:
        """Whether the reader's home timeline merges this read-time source: a followed author, or a
        group the reader is a member of (learned before)."""
        return source.group_id in self.facts.groups if source.group_id else source.author_id in self.facts.followed

    def check(self, authors: set[int] | frozenset[int]) -> None:
        """Learn whether the reader follows each of these authors (one store query for the new ones)."""
        new = set(authors) - self._asked
        if new:
            self.facts.followed |= self._store.graph.following_among(self._reader, new)
            self._asked |= new

    def check_blocks(self, authors: set[int]) -> None:
        """Learn whether a block stands between the reader and each of these authors, either way
        (one store query for the new ones)."""
        new = authors - self._blocks_asked
        if new:
            self.facts.blocked |= self._store.graph.blocked_either_way_among(self._reader, new)
            self._blocks_asked |= new
