"""No bottom: a home timeline's pages go on below the Redis lists' tails, from the durable store.

A Redis list is the newest prefix of what it stands for (feed/redis/lua/feed.lua):
the home timeline holds at most FEED_TIMELINE_MAX ids, a read-time source's list
as many. When a read reaches the end of such a list and the list is not whole (no
complete mark, or grown past the bound), tl_page and tl_newer say so in their
reply (TimelinePage.goes_on: no extra round trip), and the list goes on in the
store:

- the home timeline, as a rebuild would make it (feed/timeline/rebuild.py
  home_sources, listed_posts): the reader's own posts and reposts, the authors
  they follow with their reposts, and the groups they are in;
- a read-time source, as its own posts and reposts.

Reposts come from the store's listing of each reposter's (list_user_reposts) as
entries with the repost's id, hydrated like the Redis list's; the duplicate
filter and the page token's memory show each post once, as above the tail
(docs/reposts.md). A newer page reading below a tail gets posts only: the store
lists a user's reposts below an id, not above one (docs/reposts.md, left for
later).

An older page reads on newest first below the list's last id (or below the
page's cursor, when the cursor is already past it): the Redis page's ids
followed by the store's, so a page that straddles the tail is filled from both.
A newer page whose window starts below the list's tail (a cursor from a page
read down here, or a client away while more than the list holds arrived) reads
the store's posts just above its cursor, oldest first, and the list's ids only
once the store has none left below the tail: the walk goes on into Redis
without duplicate or gap. Either way the filters see the same kinds of posts as
above the tail (a client cannot tell where Redis ends). Nothing here runs while
a list holds the read's window.

Bound on a page's cost, whatever the reader follows: no Redis round trip of its
own, two store queries listing the reader's follows and groups (once a page),
then per read round at most one query per source continued: the reader, the
first DEEP_AUTHORS_MAX authors they follow and the first DEEP_GROUPS_MAX groups
they are in, in the store's order (the same on every page, so pages stay
contiguous), and the first DEEP_READ_TIME_MAX read-time sources in the reader's
order; and one for the reposts of each of the first DEEP_REPOSTERS_MAX users
among those (the reader first); DEEP_QUERIES_MAX in all, the same bound as
before reposts were listed here (the authors' cap, 100 then, made room for the
reposters'). An older page keeps a source's answer (and a reposter's) for its
later rounds, which ask again only when they need more of it. Below the tail,
authors and groups past those caps are not shown, nor the reposts of users past
theirs (as a rebuild leaves out authors past its own MAX_AUTHORS).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from feed.domain import Post, Source
from feed.read.page import MAX_ROUNDS
from feed.store.base import Store
from feed.timeline.page import TimelinePage
from feed.timeline.rebuild import home_sources, listed_posts

DEEP_AUTHORS_MAX = 80  # followed authors a page continues below the home list's tail
DEEP_GROUPS_MAX = 20  # the reader's groups a page continues below the home list's tail
DEEP_READ_TIME_MAX = 20  # read-time sources a page continues below their own lists' tails
DEEP_REPOSTERS_MAX = 20  # users (the reader, followed authors, read-time ones) whose reposts a page lists
# Listings in one round: 141, as before reposts were listed (100 authors then, no reposters).
DEEP_SOURCES_MAX = 1 + DEEP_AUTHORS_MAX + DEEP_GROUPS_MAX + DEEP_READ_TIME_MAX + DEEP_REPOSTERS_MAX
DEEP_QUERIES_MAX = 2 + MAX_ROUNDS * DEEP_SOURCES_MAX  # store queries of one page's deep read, at most


T = TypeVar("T")


class _Fetched(Generic[T]):
    """A source's posts (or a reposter's repost ids) as the store gave them below a start, newest first:
    what later rounds of the page reuse."""

    __slots__ = ("id_of", "items", "more", "start")

    def __init__(self, start: int | None, items: list[T], more: bool, id_of: Callable[[T], int]) -> None:
        self.start = start
        self.items = items
        self.more = more  # the store may hold older ones than the last of these
        self.id_of = id_of

    def below(self, before_id: int | None, count: int) -> tuple[list[T], bool] | None:
        """Up to count of these older than before_id and whether more may follow; None when they do not
        tell (the store must be asked)."""
        if self.start is not None and (before_id is None or before_id > self.start):
            return None
        id_of = self.id_of
        older = self.items if before_id is None else [i for i in self.items if id_of(i) < before_id]
        if len(older) >= count:
            return older[:count], len(older) > count or self.more
        return None if self.more else (older, False)


class DeepRead:
    """One page read's continuations below the Redis lists' tails: made per read, it keeps what it fetched."""

    def __init__(self, store: Store, reader_id: int) -> None:
        self._store = store
        self._reader = reader_id
        self._sources: list[Source] | None = None  # the home timeline's, listed on first need
        self._fetched: dict[Source, _Fetched[Post]] = {}
        self._reposts: dict[int, _Fetched[int]] = {}  # by reposter: repost ids, newest first
        self._reposters: list[int] = []  # whose reposts this page lists: the first DEEP_REPOSTERS_MAX met
        self.queries = 0  # store queries made (the listing included)
        self.stored: set[int] = set()  # ids the pages got from the store: never in a Redis list to repair

    def extend(
        self,
        pages: list[TimelinePage],
        read_time: Sequence[Source],
        cursor: int | None,
        count: int,
        after_id: int | None = None,
    ) -> tuple[list[TimelinePage], list[Post]]:
        """The pages (home first, then one per read_time source) with each list that goes on in the store
        past what the read reached continued from there up to count ids (given after_id, a newer page's:
        the count ids just above it, from below the list's tail); and the posts the store gave for them."""
        home, rt_pages = pages[0], pages[1:]
        if len(rt_pages) != len(read_time):  # the read-time lists failed open: the home page alone
            read_time = ()
        deep_rt = set([s for s, p in zip(read_time, rt_pages, strict=False) if p.goes_on][:DEEP_READ_TIME_MAX])
        if not home.goes_on and not deep_rt:
            return pages, []  # the common case: every list holds the read's window
        found: list[Post] = []

        def go_on(page: TimelinePage, sources: list[Source]) -> TimelinePage:
            if after_id is None:
                return self._continue(page, sources, cursor, count, found)
            return self._continue_above(page, sources, after_id, count, found)

        if home.goes_on:
            home = go_on(home, [s for s in self._home_sources() if s not in deep_rt])  # those go on on their own
        rt_pages = [go_on(p, [s]) if s in deep_rt else p for s, p in zip(read_time, rt_pages, strict=True)]
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
            if self._lists_reposts(source):  # hydrated later, as the list's repost entries are
                reposts, reposts_more = self._reposts_below(source.author_id, start, wanted)
                per_source.append(reposts)
                more = more or reposts_more
        merged = [k for k, _ in itertools.groupby(heapq.merge(*per_source, reverse=True))]
        self.stored.update(merged[:wanted])
        return TimelinePage(page.state, page.ids + merged[:wanted], more or len(merged) > wanted)

    def _continue_above(
        self, page: TimelinePage, sources: list[Source], after_id: int, count: int, found: list[Post]
    ) -> TimelinePage:
        """A newer read whose window reached below the list's tail: its sources' count posts just above
        after_id and below the list's oldest id from the store, then the list's ids once the store has
        no more of them (newest first, as every page)."""
        tail = page.ids[-1] if page.ids else None
        per_source: list[list[int]] = []
        known: int | None = None  # every source's posts up to this id are in per_source (None: up to the tail)
        for source in sources:
            posts, more = listed_posts(self._store, source, tail, count, after_id)  # every organization's
            self.queries += 1
            found += posts
            per_source.append([p.post_id for p in posts])
            if more:  # posts of this source between its newest here and the tail are not known yet
                known = posts[0].post_id if known is None else min(known, posts[0].post_id)
        merged = [k for k, _ in itertools.groupby(heapq.merge(*per_source, reverse=True))]
        usable = [i for i in merged if known is None or i <= known]
        if len(usable) < count:  # the store has no more below the tail (known is None): the list goes on above
            self.stored.update(usable)
            return TimelinePage(page.state, page.ids + usable, page.more)
        self.stored.update(usable[-count:])  # the oldest count: newer ones, the list's ones too, come next round
        return TimelinePage(page.state, usable[-count:], True)

    def _posts_below(self, source: Source, before_id: int | None, count: int) -> tuple[list[Post], bool]:
        """Up to count posts of a source older than before_id, and whether it may have more past them:
        from what this page fetched already when that tells, else one store query."""
        fetched = self._fetched.get(source)
        known = None if fetched is None else fetched.below(before_id, count)
        if known is not None:
            return known
        # Every organization's posts: the filters drop the others, while the listing tells how far down
        # the source is known (kept in org only, a merge could pass the source's posts just below them).
        posts, more = listed_posts(self._store, source, before_id, count)
        self.queries += 1
        self._fetched[source] = _Fetched(before_id, posts, more, _post_id)
        return posts, more

    def _lists_reposts(self, source: Source) -> bool:
        """Whether this page lists the source's reposts: an author among the first DEEP_REPOSTERS_MAX met (the
        reader, then the followed authors in the store's order: the same on every page)."""
        author = source.author_id
        if not author:
            return False
        if author in self._reposters:
            return True
        if len(self._reposters) >= DEEP_REPOSTERS_MAX:
            return False
        self._reposters.append(author)
        return True

    def _reposts_below(self, reposter: int, before_id: int | None, count: int) -> tuple[list[int], bool]:
        """Up to count ids of a user's reposts older than before_id, and whether they may have more past them:
        from what this page fetched already when that tells, else one store query (every organization's, as
        for posts)."""
        fetched = self._reposts.get(reposter)
        known = None if fetched is None else fetched.below(before_id, count)
        if known is not None:
            return known
        ids = [r.repost_id for r in self._store.reposts.list_user_reposts(reposter, before_id, count)]
        self.queries += 1
        more = len(ids) >= count
        self._reposts[reposter] = _Fetched(before_id, ids, more, int)
        return ids, more

    def _home_sources(self) -> list[Source]:
        if self._sources is None:
            self._sources, _ = home_sources(self._store, self._reader, DEEP_AUTHORS_MAX, DEEP_GROUPS_MAX)
            self.queries += 2
        return self._sources


def _post_id(post: Post) -> int:
    return post.post_id
