"""No bottom: a home timeline's pages go on below the Redis lists' tails, from the durable store.

A Redis list is the newest prefix of what it stands for (feed/redis/lua/feed.lua):
the home timeline holds at most FEED_TIMELINE_MAX ids, a read-time source's list
as many. Once a page's read reaches the end of such a list (tl_page answers no
more) and the list is not whole (no complete mark, or grown past the bound), the
list goes on in the store, newest first below its last id (or below the page's
cursor, when the cursor is already past it):

- the home timeline, as a rebuild would make it (feed/timeline/rebuild.py
  home_sources, source_posts): the reader's own posts, the authors they follow
  and the groups they are in;
- a read-time source, as its own posts.

Each continuation is the Redis page's ids followed by the store's, so a page
that straddles the tail is filled from both, without duplicate or gap, and the
filters see the same kinds of posts as above the tail (a client cannot tell
where Redis ends). Nothing here runs while a list still has older entries.

Bound on a page's cost, whatever the reader follows: one Redis round trip per
kind of list for its end, two store queries listing the reader's follows and
groups (once a page), then per read round at most one query per source
continued: the reader, the first DEEP_AUTHORS_MAX authors they follow and the
first DEEP_GROUPS_MAX groups they are in, in the store's order (the same on
every page, so pages stay contiguous), and the first DEEP_READ_TIME_MAX
read-time sources in the reader's order; DEEP_QUERIES_MAX in all. A source's
answer is kept for the page's later rounds, which ask again only when they
need more of it. Below the tail, authors and groups past those caps are not
shown (as a rebuild leaves out authors past its own MAX_AUTHORS).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from feed.domain import Post, Source
from feed.read.page import MAX_ROUNDS
from feed.store.base import Store
from feed.timeline.page import TimelinePage
from feed.timeline.rebuild import home_sources, source_posts
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore

DEEP_AUTHORS_MAX = 100  # followed authors a page continues below the home list's tail
DEEP_GROUPS_MAX = 20  # the reader's groups a page continues below the home list's tail
DEEP_READ_TIME_MAX = 20  # read-time sources a page continues below their own lists' tails
DEEP_SOURCES_MAX = 1 + DEEP_AUTHORS_MAX + DEEP_GROUPS_MAX + DEEP_READ_TIME_MAX  # sources asked in one round
DEEP_QUERIES_MAX = 2 + MAX_ROUNDS * DEEP_SOURCES_MAX  # store queries of one page's deep read, at most


class _Fetched:
    """A source's posts as the store gave them below a start: what later rounds of the page reuse."""

    __slots__ = ("more", "posts", "start")

    def __init__(self, start: int | None, posts: list[Post], more: bool) -> None:
        self.start = start
        self.posts = posts
        self.more = more  # the store may hold posts of the source older than the last of these

    def below(self, before_id: int | None, count: int) -> tuple[list[Post], bool] | None:
        """Up to count of these posts older than before_id and whether more may follow; None when
        they do not tell (the store must be asked)."""
        if self.start is not None and (before_id is None or before_id > self.start):
            return None
        older = self.posts if before_id is None else [p for p in self.posts if p.post_id < before_id]
        if len(older) >= count:
            return older[:count], len(older) > count or self.more
        return None if self.more else (older, False)


class DeepRead:
    """One page read's continuations below the Redis lists' tails: made per read, it keeps what it fetched."""

    def __init__(
        self, store: Store, timelines: TimelineStore, read_time: ReadTimeSources, reader_id: int, org_id: int
    ) -> None:
        self._store = store
        self._timelines = timelines
        self._read_time = read_time
        self._reader = reader_id
        self._org = org_id
        self._home_whole: bool | None = None
        self._sources: list[Source] | None = None  # the home timeline's, listed on first need
        self._whole: set[Source] = set()  # read-time sources whose lists are whole
        self._asked_whole: set[Source] = set()
        self._fetched: dict[Source, _Fetched] = {}
        self.queries = 0  # store queries made (the listing included)
        self.stored: set[int] = set()  # ids the pages got from the store: never in a Redis list to repair

    def extend(
        self, pages: list[TimelinePage], read_time: Sequence[Source], cursor: int | None, count: int
    ) -> tuple[list[TimelinePage], list[Post]]:
        """The pages (home first, then one per read_time source) with each ended, not whole list continued
        from the store up to count ids; and the posts the store gave for them."""
        home, rt_pages = pages[0], pages[1:]
        if len(rt_pages) != len(read_time):  # the read-time lists failed open: the home page alone
            read_time = ()
        ended = [s for s, p in zip(read_time, rt_pages, strict=False) if not p.more][:DEEP_READ_TIME_MAX]
        deep_rt = set(ended) - self._whole_among(ended)
        found: list[Post] = []
        if not home.more and not self._home_is_whole():
            sources = [s for s in self._home_sources() if s not in deep_rt]  # those continue on their own below
            home = self._continue(home, sources, cursor, count, found)
        if deep_rt:
            rt_pages = [
                self._continue(p, [s], cursor, count, found) if s in deep_rt else p
                for s, p in zip(read_time, rt_pages, strict=True)
            ]
        return [home, *rt_pages], found

    def _continue(
        self, page: TimelinePage, sources: list[Source], cursor: int | None, count: int, found: list[Post]
    ) -> TimelinePage:
        """The page's ids, then its sources' posts below them from the store, count in all."""
        wanted = count - len(page.ids)
        if wanted <= 0:  # Redis filled the page; whatever is older is in the store, asked next round
            return TimelinePage(page.state, page.ids, True)
        start = page.ids[-1] if page.ids else cursor
        per_source: list[list[int]] = []
        more = False
        for source in sources:
            posts, source_more = self._posts_below(source, start, wanted)
            found += posts
            per_source.append([p.post_id for p in posts])
            more = more or source_more
        merged = [k for k, _ in itertools.groupby(heapq.merge(*per_source, reverse=True))]
        self.stored.update(merged[:wanted])
        return TimelinePage(page.state, page.ids + merged[:wanted], more or len(merged) > wanted)

    def _posts_below(self, source: Source, before_id: int | None, count: int) -> tuple[list[Post], bool]:
        """Up to count posts of a source older than before_id, and whether it may have more past them:
        from what this page fetched already when that tells, else one store query."""
        fetched = self._fetched.get(source)
        known = None if fetched is None else fetched.below(before_id, count)
        if known is not None:
            return known
        posts, more = source_posts(self._store, source, before_id, count, self._org)
        self.queries += 1
        self._fetched[source] = _Fetched(before_id, posts, more)
        return posts, more

    def _home_is_whole(self) -> bool:
        if self._home_whole is None:
            self._home_whole = self._timelines.is_whole(self._reader, self._org)
        return self._home_whole

    def _home_sources(self) -> list[Source]:
        if self._sources is None:
            self._sources, _ = home_sources(self._store, self._reader, DEEP_AUTHORS_MAX, DEEP_GROUPS_MAX)
            self.queries += 2
        return self._sources

    def _whole_among(self, sources: list[Source]) -> set[Source]:
        """Which of these read-time lists are whole, asking Redis only about those not asked yet this page."""
        new = [s for s in sources if s not in self._asked_whole]
        if new:
            self._whole |= self._read_time.whole_among(new, self._org)
            self._asked_whole.update(new)
        return self._whole & set(sources)
