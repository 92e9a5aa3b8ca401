"""The sources stage of a home timeline: the required home timeline and the optional read-time sources.

The home timeline is required: when Redis cannot answer it the page fails
(UNAVAILABLE at the edge), and a timeline Redis lost is rebuilt from the store
first, on a rebuild thread (feed/read/rebuilds.py) the read waits for up to
REBUILD_WAIT_S; past it the read answers UNAVAILABLE rather than a page cut
from a partial list, which would skip posts for good. The lists of the
read-time sources the reader follows are optional: when reading them fails,
the page is served from the home timeline alone (fail open), the failure is
counted in feed_read_optional_source_failures_total and logged; their posts
come back on a later read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, wait

import redis
from redis.exceptions import RedisClusterException

from feed.domain import Source
from feed.errors import Unavailable
from feed.read.rebuilds import RebuildQueue
from feed.redis.calls import Rider
from feed.store.base import Store
from feed.telemetry import metrics
from feed.timeline.list_riders import ListsRider
from feed.timeline.page import TimelinePage
from feed.timeline.rebuild import RebuildAbandoned
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore

log = logging.getLogger("feed.read")
REBUILD_WAIT_S = 5.0  # how long a read waits for its timeline's rebuild, this process's or another's
REBUILD_POLL_S = 0.02
# What an optional source may raise: Unavailable (a Redis that does not answer, feed/redis/calls.py),
# any error answer of Redis, and a cluster client's own errors (not RedisErrors).
OPTIONAL_SOURCE_ERRORS = (Unavailable, redis.RedisError, RedisClusterException)
READ_TIME = "read_time"  # the optional source's name, a label of feed_read_optional_source_failures_total
_READ_TIME_FAILURES = metrics.READ_OPTIONAL_SOURCE_FAILURES.labels(READ_TIME)  # bound once; exists from 0


class HomeSources:
    """Ids below a cursor (or just above one: a newer page) from a user's home timeline and from the
    read-time sources they follow."""

    def __init__(
        self, store: Store, timelines: TimelineStore, read_time: ReadTimeSources, rebuilds: RebuildQueue | None = None
    ) -> None:
        self._timelines = timelines
        self._read_time = read_time
        self.rebuilds = rebuilds or RebuildQueue(store, timelines)

    def home(
        self,
        user_id: int,
        before_id: int | None,
        count: int,
        org_id: int = 0,
        riders: Sequence[Rider] = (),
        after_id: int | None = None,
    ) -> tuple[TimelinePage, frozenset[Source]]:
        """Required: the user's timeline page (below before_id, or just above after_id when given) and the
        organization's read-time sources, in one round trip that also carries the riders (the reader's
        budget: ResourceExhausted before anything else is done; their relationship version)."""
        timelines, read_time = self._timelines, self._read_time
        page, sources = timelines.page_with_sources(read_time, user_id, before_id, count, org_id, riders, after_id)
        if page.state != "ready":
            page = self.rebuilt_home(user_id, before_id, count, org_id, after_id)
        return page, sources

    def rebuilt_home(
        self, user_id: int, before_id: int | None, count: int, org_id: int = 0, after_id: int | None = None
    ) -> TimelinePage:
        """The user's timeline page once its rebuild, by this process or another, has installed it."""
        deadline = time.monotonic() + REBUILD_WAIT_S
        while True:
            page = self._timelines.page(user_id, before_id, count, org_id, after_id)
            if page.state == "ready":
                return page
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unavailable("the timeline is being rebuilt; retry shortly")
            if page.state == "missing":
                rebuild = self.rebuilds.request(user_id, org_id)
                if rebuild is None:
                    raise Unavailable("too many timelines are being rebuilt; retry shortly")
            else:  # building: ours (wait for it), or another process's (poll Redis for its list)
                rebuild = self.rebuilds.in_flight(user_id, org_id)
            if rebuild is None:
                time.sleep(min(REBUILD_POLL_S, left))
            else:
                _outcome(rebuild, left)

    def prefetch(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
    ) -> Prefetch:
        """The read of these sources' lists, as riders of the home page's round trip (see Prefetch)."""
        return Prefetch(sources, self._read_time.page_riders(sources, before_id, count, org_id, after_id))

    def read_time(
        self,
        sources: Sequence[Source],
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
        prefetched: Prefetch | None = None,
    ) -> list[TimelinePage]:
        """Optional: the sources' lists in one round trip (below before_id, or just above after_id when
        given), or none when Redis fails to give them; none at all when prefetched read them already."""
        pages = None if prefetched is None else prefetched.pages(sources)
        if pages is not None:
            return pages
        try:
            return self._read_time.pages(sources, before_id, count, org_id, after_id)
        except OPTIONAL_SOURCE_ERRORS as exc:
            _READ_TIME_FAILURES.inc()
            # The error's type and the number of sources only: no ids, tokens or post text.
            log.warning("read-time sources skipped (fail open): %s for %d sources", type(exc).__name__, len(sources))
            return []


class Prefetch:
    """The lists of the read-time sources a reader merged on their previous page (feed/read/guard_cache.py),
    read in the first round trip of the next page, with its home page: before the follow guard can say which
    sources the page merges. A guess, used only when the guard then names no source outside it: a follow,
    a join or a new read-time source since makes the page read its lists on their own, as without it."""

    __slots__ = ("_sources", "riders")

    def __init__(self, sources: Sequence[Source], riders: list[ListsRider]) -> None:
        self.riders = riders  # one per list, or one for all (their pages, in order, are the lists')
        self._sources = sources

    def pages(self, sources: Sequence[Source]) -> list[TimelinePage] | None:
        """The sources' pages, in order, when each rode and answered; else None (read them). With fewer
        sources than guessed (an unfollow), the pages' cached posts may lack some of their newest: hydration
        reads those."""
        read: list[TimelinePage] = []
        for rider in self.riders:
            pages = rider.pages
            if pages is None:  # its call failed (read the lists: fail open there)
                return None
            read += pages
        by_source = dict(zip(self._sources, read, strict=True))
        if any(source not in by_source for source in sources):  # not guessed
            return None
        return [by_source[source] for source in sources]


def _outcome(rebuild: Future[bool], timeout: float) -> None:
    """Wait for a rebuild up to timeout; raise what it failed with, unless its claim was merely lost
    (another claim, or the next one, builds the list: the caller reads Redis again)."""
    done, _ = wait([rebuild], timeout)
    if not done:
        return
    try:
        rebuild.result()
    except RebuildAbandoned as exc:
        if exc.reason != "claim_lost":
            raise Unavailable("the timeline's rebuild gave up; retry shortly") from exc
