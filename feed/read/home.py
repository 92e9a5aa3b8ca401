"""The home timeline reader: sources -> merge -> hydrate -> filters -> page, round after round.

Sources give ids newest first below a cursor: the user's home timeline
(required), and the lists of the read-time sources the reader follows (optional:
fan-out on read, skipped when they fail). Merge makes one list of them;
hydration turns ids into posts and drops the deleted; the filters
(feed/read/filters.py) drop what the reader must not see now, even while the
workers are still catching up; paging cuts the page and the cursor of the next.

Round trips of a page in the common case: one to Redis for the reader's rate-limit
budget, the timeline ids, the source directory, the reader's relationship version
and the lists of the read-time sources they merged on their previous page
(pipelined). On a standalone Redis the timeline's call brings the cached posts of
its ids too (TimelinePage.cached), and the read-time lists' one call those of the
newest ids of their union (feed.lua tl_sources_posts: every candidate a page takes
from them is among these), so hydration asks Redis only for the ids none of them
had (repost originals; a newer page's read-time ids): none on a warm page, merging
or not. On a cluster (post keys in other slots) hydration is a second round trip.
The follow guard asks the store only about authors and groups it did not know yet
(feed/read/guard_cache.py: a reader's facts are kept while their relationship version stays the same); a query
also tells which read-time sources the reader follows (or, when the organization has
many, lists the reader's follows and groups instead: feed/read/guard.py, so a page
never pays for the size of the registry). When the guard must ask about the sources,
the home ids are hydrated first, so that the same query covers their authors; and
when the sources it names are not all among those read in the first round trip (a
follow, a join, a reader new to this process), their lists take one more round trip.

Ids of the home timeline that a page hid for good (deleted, or dropped by a
for_good filter) are then removed from it in the background (feed/read/repair.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from feed.domain import Post
from feed.page_tokens import NewerCursor
from feed.read.deep import DeepRead
from feed.read.filters import DELETED_COUNTS, HOME_FILTERS, drop_deleted
from feed.read.guard import FollowGuard
from feed.read.guard_cache import CachedGuard, GuardCache
from feed.read.hydrate import Hydrator
from feed.read.merge import Candidates, merge_newer, merge_sources
from feed.read.newer import NewerPage, NewerPageBuilder
from feed.read.page import MAX_ROUNDS, FeedPage, PageBuilder
from feed.read.rebuilds import RebuildQueue
from feed.read.repair import ReadRepair
from feed.read.sources import HomeSources
from feed.read.stages import FilterStage, ReadContext, run_filters
from feed.redis.calls import Rider
from feed.store.base import Store
from feed.timeline.page import TimelinePage
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore

Builder = PageBuilder | NewerPageBuilder
# Where a round reads: (below this cursor, above this id, ids per source, how the sources' pages merge).
Window = tuple[int | None, int | None, int, Callable[[list[TimelinePage]], Candidates]]


class HomeTimelineReader:
    """Assembles home timeline pages, rebuilding missing timelines from the store."""

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        read_time: ReadTimeSources,
        hydrator: Hydrator,
        filters: tuple[FilterStage, ...] = HOME_FILTERS,
        rebuilds: RebuildQueue | None = None,
        repair: ReadRepair | None = None,
        guards: GuardCache | None = None,
    ) -> None:
        """guards: readers' guard facts kept between pages; None asks the store on every page."""
        self._store = store
        self._guards = guards
        self._sources = HomeSources(store, timelines, read_time, rebuilds)
        self._hydrator = hydrator
        self.filters = filters
        self.repair = repair or ReadRepair(timelines)

    def read(
        self,
        user_id: int,
        before_id: int | None,
        page_size: int,
        org_id: int = 0,
        budget: Rider | None = None,
        shown: tuple[int, ...] = (),
    ) -> FeedPage:
        """One page of at most page_size posts older than before_id; budget (the reader's rate limit)
        is spent in the page's first Redis round trip; shown: posts earlier pages showed through reposts."""

        def window(page: PageBuilder) -> Window:
            count = page.wanted + 1  # one extra tells whether more remain
            return page.cursor, None, count, lambda pages: merge_sources(pages, count)

        return self._assemble(user_id, org_id, PageBuilder(page_size, before_id), budget, window, shown)

    def sources(
        self,
        ctx: ReadContext,
        guard: FollowGuard,
        cursor: int | None,
        count: int,
        budget: Rider | None = None,
        cached: CachedGuard | None = None,
        after_id: int | None = None,
        deep: DeepRead | None = None,
    ) -> tuple[list[TimelinePage], dict[int, Post], Mapping[int, Any] | None]:
        """Stage sources: the home page, then the lists of the read-time sources the reader follows
        (below cursor; or, given after_id, the count ids just above it, for a newer page).

        Answers the pages, the post-cache entries read with them (TimelinePage.cached of the home page and of
        the lists: for the hydrate stage), and the posts hydrated here: none when the guard knows which sources the
        reader merges, else the home page's (the guard asks about their authors and the sources in one
        store query). The first round reads the reader's relationship version with the page, resumes
        the guard from the facts kept under it (cached), and reads with them the lists of the sources
        merged on the reader's previous page: used if the guard names no other. Lists that end above
        count ids go on from the store (deep), with those posts hydrated and learned here too.
        """
        riders = [r for r in (budget, None if cached is None else cached.probe) if r is not None]
        prefetch = None
        if cached is not None and cached.merged:
            prefetch = self._sources.prefetch(cached.merged, cursor, count, ctx.org_id, after_id)
            riders += prefetch.riders
        home, directory = self._sources.home(ctx.reader_id, cursor, count, ctx.org_id, riders, after_id)
        posts: dict[int, Post] = {}
        if cached is not None:
            cached.resume(guard)
        guard.learn_quiet()  # nothing to do while the reader's mutes and filters known still hold
        if not guard.knows(directory):  # one store query for the home page's authors and the sources
            posts = self._hydrator.hydrate(home.ids, home.cached)
            guard.learn(posts.values(), directory)
        readable = guard.read_time_sources(directory)  # never the whole directory when it is large
        if cached is not None:
            cached.merged = tuple(readable)
        if readable:
            pages = [home, *self._sources.read_time(readable, cursor, count, ctx.org_id, after_id, prefetch)]
        else:
            pages = [home]
        read = cached_entries(pages)
        if deep is None:
            return pages, posts, read
        pages, stored = deep.extend(pages, readable, cursor, count, after_id)
        guard.learn(stored)
        posts.update((p.post_id, p) for p in stored)
        return pages, posts, read

    def read_newer(
        self, user_id: int, newer: NewerCursor, page_size: int, org_id: int = 0, budget: Rider | None = None
    ) -> NewerPage:
        """The newer page at a prev_page_token's cursor (feed/read/newer.py): at most page_size posts just
        above it, the oldest first in time; budget as for read() (None: the live stream's reads spend none)."""

        def window(page: NewerPageBuilder) -> Window:
            skip = page.skip
            count = page.wanted + 1  # one extra tells whether more remain
            # Each source gives len(skip) more, so that the oldest count remain once skip is taken out.
            return None, page.after, count + len(skip), lambda pages: merge_newer(pages, count, skip)

        walked = (newer.bottom, newer.cursor) if newer.bottom else (0, 0)
        builder = NewerPageBuilder(page_size, newer)
        return self._assemble(user_id, org_id, builder, budget, window, newer.shown, walked)

    def _assemble(
        self,
        user_id: int,
        org_id: int,
        page: Builder,
        budget: Rider | None,
        window: Callable[[Any], Window],
        shown: tuple[int, ...] = (),
        walked: tuple[int, int] = (0, 0),
    ) -> FeedPage | NewerPage:
        """The rounds of one page, older or newer: sources -> merge -> hydrate -> filters -> page, again
        while the filters hide whole windows (up to MAX_ROUNDS). window(page) says where this round reads
        (below a cursor, or above an id), how many ids each source gives, and how they merge."""
        guard = FollowGuard(self._store, user_id)
        cached = None if self._guards is None else self._guards.open(user_id, org_id)
        ctx = ReadContext(user_id, org_id, guard.facts)
        guard.facts.shown.update(shown)
        guard.facts.walked = walked
        deep = DeepRead(self._store, user_id)  # no bottom, and windows below a list's tail: feed/read/deep.py
        gone: list[int] = []  # ids hidden for good, of the home timeline and the read-time lists
        home_ids: set[int] = set()
        try:
            for n in range(MAX_ROUNDS):
                cursor, after_id, fetch, merge = window(page)
                pages, posts, read = self.sources(
                    ctx, guard, cursor, fetch, budget, cached if n == 0 else None, after_id, deep
                )
                budget = None  # spent once, in the first round (the version is read there too)
                home_ids.update(pages[0].ids)
                candidates = merge(pages)
                found = self.hydrate(candidates, posts, guard, gone, read)
                done = page.add(run_filters(self.filters, found, ctx, gone), candidates)
                if done is not None:
                    break
            else:
                done = page.unfinished()
            if cached is not None:
                cached.keep(guard)
            return done
        finally:
            ours = [i for i in gone if i in home_ids and i not in deep.stored]  # read-time lists, store: not ours
            self.repair.remove(user_id, ours, org_id)

    def hydrate(
        self,
        candidates: Candidates,
        posts: dict[int, Post],
        guard: FollowGuard,
        gone: list[int],
        read: Mapping[int, Any] | None = None,
    ) -> list[Post]:
        """Stage hydrate: the candidates as posts (those the sources stage did not hydrate fetched now, in one
        post-cache read, of the ids read lacks), deleted ones dropped, and added to gone: neither the cache
        nor the store has them."""
        unhydrated = [i for i in candidates.ids if i not in posts]
        if unhydrated:
            more = self._hydrator.hydrate(unhydrated, read)
            posts.update(more)
            guard.learn(more.values())
        result = drop_deleted(candidates.ids, posts)
        DELETED_COUNTS.count(result)
        gone += result.removed
        return result.kept


def cached_entries(pages: list[TimelinePage]) -> Mapping[int, Any] | None:
    """The post-cache entries the pages' round trips brought, by id, in one mapping (None: none did). The lists
    read in one call share theirs, taken once."""
    read: Mapping[int, Any] | None = None
    last = None
    for page in pages:
        entries = page.cached
        if entries is None or entries is last:
            continue
        read = entries if read is None else {**read, **entries}
        last = entries
    return read
