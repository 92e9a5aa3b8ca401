"""The follow guard: the reader's relationships, fetched from the store in bulk before filtering.

The store is the truth: an unfollow, a block or a leave must hide the author
or group from the very next read, whatever the workers have applied to Redis
yet. One query per kind of fact for what a round of a page brings in, and none
for what was asked already, on this page or on an earlier page of the reader
whose facts are still current (resume: feed/read/guard_cache.py keeps them
while the reader's relationship version stays the same).

The organization's read-time sources are asked about in the same query while
they are few (ASK_AMONG_MAX); past that, the reader's own follows and groups
are listed instead and intersected with them, so a page's cost follows the
reader's relationships, never the size of the organization's registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from operator import attrgetter

from feed.domain import Post, Source
from feed.ids import now_ms
from feed.read.quiet import Quiet, load_quiet
from feed.read.stages import ReadFacts
from feed.store.base import Store, walk_pages

# Read-time sources asked about by id in the page's follow query; a larger registry copy is met by
# listing the reader's follows and groups instead (the smaller side, as long as the registry is large).
ASK_AMONG_MAX = 64
RELATIONSHIP_PAGE = 5000  # follows or groups per store query when they are listed whole
SOURCE_ORDER = attrgetter("author_id", "group_id")  # Source's own order, compared in C (not its __lt__)


@dataclasses.dataclass(frozen=True, slots=True)
class KnownFacts:
    """What a guard learned, frozen so that pages on several threads can start from it."""

    followed: frozenset[int]
    groups: frozenset[int]
    blocked: frozenset[int]
    asked: frozenset[int]
    groups_asked: frozenset[int]
    blocks_asked: frozenset[int]
    complete: bool
    quiet: Quiet | None = None

    def size(self) -> int:
        """How many ids it holds (what a cache of them bounds)."""
        sets = (self.followed, self.groups, self.blocked, self.asked, self.groups_asked, self.blocks_asked)
        return sum(map(len, sets)) + (0 if self.quiet is None else self.quiet.size)


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
        self._complete = False  # facts.followed and facts.groups hold every follow and group of the reader
        self.queries = 0  # store queries made: none means resume()'s facts were all this page needed

    def resume(self, known: KnownFacts) -> None:
        """Start from facts learned earlier (still current: the caller checked), asking only about the new."""
        self.facts.followed |= known.followed
        self.facts.groups |= known.groups
        self.facts.blocked |= known.blocked
        self._asked |= known.asked
        self._groups_asked |= known.groups_asked
        self._blocks_asked |= known.blocks_asked
        self._complete = self._complete or known.complete
        self.facts.quiet = self.facts.quiet or known.quiet

    def known(self) -> KnownFacts:
        """Everything learned so far, frozen."""
        f = self.facts
        return KnownFacts(
            frozenset(f.followed),
            frozenset(f.groups),
            frozenset(f.blocked),
            frozenset(self._asked),
            frozenset(self._groups_asked),
            frozenset(self._blocks_asked),
            self._complete,
            self.facts.quiet,
        )

    def learn_quiet(self, now: int | None = None) -> None:
        """Load the reader's mutes and keyword filters, unless those known still hold at now (epoch ms):
        a mute or filter that ended since they were loaded is dropped to the second."""
        now = now_ms() if now is None else now
        quiet = self.facts.quiet
        if quiet is None or not quiet.holds_at(now):
            self.facts.quiet = load_quiet(self._store.quiet, self._reader, now)
            self.queries += 1

    def learn(self, posts: Iterable[Post], sources: frozenset[Source] = frozenset()) -> None:
        """Learn what filtering these posts and merging these read-time sources needs: at most
        one store query per kind of fact, and none for facts already known."""
        if len(sources) > ASK_AMONG_MAX:
            self.learn_relationships()
            sources = frozenset()
        authors = {s.author_id for s in sources if s.author_id}
        groups = {s.group_id for s in sources if s.group_id}
        group_authors: set[int] = set()
        for post in posts:
            if post.reposted_by:  # shown for its reposter, hidden by a block of either (docs/reposts.md)
                authors.add(post.reposted_by)
                group_authors.update((post.author_id, post.reposted_by))
                if post.group_id:
                    groups.add(post.group_id)
            elif post.group_id:
                groups.add(post.group_id)
                group_authors.add(post.author_id)
            else:
                authors.add(post.author_id)
        self.check(authors)
        new_groups = groups - self._groups_asked
        if new_groups and not self._complete:
            self.facts.groups |= self._store.orgs.groups_among(self._reader, new_groups)
            self.queries += 1
            self._groups_asked |= new_groups
        self.check_blocks(group_authors)

    def knows(self, sources: frozenset[Source]) -> bool:
        """Whether learn() would ask the store nothing about these read-time sources (it knows whether the
        reader merges each)."""
        if self._complete:
            return True
        if len(sources) > ASK_AMONG_MAX:
            return False
        asked, groups_asked = self._asked, self._groups_asked
        return all(s.group_id in groups_asked if s.group_id else s.author_id in asked for s in sources)

    def learn_relationships(self) -> None:
        """List every author the reader follows and every group they are in (once per page read)."""
        if self._complete:
            return
        reader, graph, orgs = self._reader, self._store.graph, self._store.orgs
        self.facts.followed |= set(walk_pages(lambda token: graph.list_following(reader, RELATIONSHIP_PAGE, token)))
        self.facts.groups |= set(walk_pages(lambda token: orgs.list_user_groups(reader, RELATIONSHIP_PAGE, token)))
        self.queries += 2
        self._complete = True

    def read_time_sources(self, directory: frozenset[Source]) -> list[Source]:
        """The directory's sources this reader merges, in order: walks the reader's relationships
        when they were listed whole (a large directory), else the directory (small)."""
        if not self._complete:
            return sorted([s for s in directory if self.reads(s)], key=SOURCE_ORDER)
        mine = [Source(author_id=a) for a in self.facts.followed] + [Source(group_id=g) for g in self.facts.groups]
        return sorted([s for s in mine if s in directory], key=SOURCE_ORDER)

    def reads(self, source: Source) -> bool:
        """Whether the reader's home timeline merges this read-time source: a followed author, or a
        group the reader is a member of (learned before)."""
        return source.group_id in self.facts.groups if source.group_id else source.author_id in self.facts.followed

    def check(self, authors: set[int] | frozenset[int]) -> None:
        """Learn whether the reader follows each of these authors (one store query for the new ones)."""
        new = set(authors) - self._asked
        if new and not self._complete:
            self.facts.followed |= self._store.graph.following_among(self._reader, new)
            self.queries += 1
            self._asked |= new

    def check_blocks(self, authors: set[int]) -> None:
        """Learn whether a block stands between the reader and each of these authors, either way
        (one store query for the new ones)."""
        new = authors - self._blocks_asked
        if new:
            self.facts.blocked |= self._store.graph.blocked_either_way_among(self._reader, new)
            self.queries += 1
            self._blocks_asked |= new
