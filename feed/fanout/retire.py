"""Retire: read-time sources that no longer need merging at read time leave their organization's registry.

The rule: a registered source is retired when its audience is at most the
threshold (its new posts are fanned out on write again) and its list's newest
post is older than the retention (FEED_READ_TIME_RETENTION_S, default 7 days),
or its list is empty. A source still posting stays, so one hovering around the
threshold is not retired and registered back and forth.

Nothing is lost: posts made while the source was read-time live only in its
list, so they are merged into its audience's home timelines before the list
goes. The steps, and why in this order:

1. merge a snapshot of the list into the audience's timelines, as fan-out on
   write would have (a truncated timeline takes only what is newer than its
   tail; older posts lie past the cached entries, where pages come from the store);
2. forget the source: readers stop merging its list from their next page, and
   listed() stops naming its posts, so a follow resolved from now on backfills
   them from the store like any other posts;
3. merge again, into the audience as listed now: a follow resolved before 2
   left the listed posts out of its backfill, but was stored before it was
   resolved, so it is in this listing;
4. delete the list only if it is still as snapshot (tl_retire): a post pushed
   meanwhile (the source went back above the threshold) keeps the list, and the
   source is registered again.

Timelines missing from Redis are skipped: their rebuild reads the store, which has
every post. A worker dying between 2 and 3 leaves only the followers of those
seconds without the merge; that, and a page read between 2 and 3, are the windows.

Retirement runs in the fan-out worker (SourceRetirer): for each organization its
batches name, at most once per RETIRE_INTERVAL_S. An organization whose events
stopped keeps its registry as it is: nobody adds to it then, and a page's cost
does not depend on its size (feed/read/guard.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from feed.domain import Source
from feed.fanout.resolve import audience_of, audience_size
from feed.ids import id_time_ms, now_ms
from feed.store.base import Store
from feed.telemetry import metrics
from feed.timeline.audience import Audience
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore

log = logging.getLogger(__name__)
RETIRE_INTERVAL_S = 300.0  # an organization's registry is swept at most this often per worker


def idle_sources(read_time: ReadTimeSources, org_id: int, retention_s: int, now: int) -> list[Source]:
    """The organization's registered sources whose newest listed post is older than the retention (ms clock)."""
    registered = sorted(read_time.registered(org_id))
    if not registered:
        return []
    newest = read_time.newest(registered, org_id)
    cutoff = now - retention_s * 1000
    return [s for s in registered if newest[s] == 0 or id_time_ms(newest[s]) < cutoff]


def retire_idle(
    store: Store,
    timelines: TimelineStore,
    read_time: ReadTimeSources,
    org_id: int,
    threshold: int,
    retention_s: int,
    now: int | None = None,
) -> list[Source]:
    """Retire the organization's idle sources whose audience is back under the threshold; those retired."""
    now = now_ms() if now is None else now
    retired = []
    for source in idle_sources(read_time, org_id, retention_s, now):
        if audience_size(store, source) <= threshold and retire(store, timelines, read_time, source, org_id):
            retired.append(source)
    if retired:
        metrics.READ_TIME_SOURCES_RETIRED.inc(len(retired))
        log.info("read-time sources retired", extra={"org_id": org_id, "sources": len(retired)})
    return retired


def retire(store: Store, timelines: TimelineStore, read_time: ReadTimeSources, source: Source, org_id: int) -> bool:
    """Merge one source's list into its audience's timelines, then forget the source and drop the list."""
    seen = read_time.snapshot(source, org_id)
    oldest_first = seen.ids[::-1]  # so each lands on top of a timeline it is newer than
    before = set(audience_of(store, source))
    merge_into(timelines, oldest_first, before, org_id)
    read_time.forget([source], org_id)
    # Race: a follow or join resolved before the forget skipped these posts in its backfill; it was
    # stored before it was resolved, so this second listing has it.
    merge_into(timelines, oldest_first, set(audience_of(store, source)) - before, org_id)
    if read_time.retire(source, seen, org_id):
        return True
    read_time.admit([source], org_id)  # posts came since the snapshot: the list stays, and so must the source
    return False


def merge_into(timelines: TimelineStore, oldest_first: list[int], users: set[int], org_id: int) -> None:
    """Push posts into the users' timelines, where they belong (one audience shared by every post)."""
    if oldest_first and users:
        audience = Audience(sorted(users), org_id)
        timelines.fan_out([(post_id, audience) for post_id in oldest_first])


class SourceRetirer:
    """Retires idle sources of the organizations a worker's batches name, each at most once per interval."""

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        read_time: ReadTimeSources,
        threshold: int,
        retention_s: int,
        interval_s: float = RETIRE_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._args = (store, timelines, read_time)
        self._threshold, self._retention_s = threshold, retention_s
        self._interval_s, self._clock = interval_s, clock
        self._last: dict[int, float] = {}

    def after_batch(self, org_ids: Iterable[int]) -> None:
        """Sweep the organizations due; a failure is logged and left to the next sweep (every step is idempotent)."""
        now = self._clock()
        for org_id in sorted(set(org_ids)):
            last = self._last.get(org_id)
            if last is not None and now - last < self._interval_s:
                continue
            self._last[org_id] = now
            try:
                retire_idle(*self._args, org_id, self._threshold, self._retention_s)
            except Exception as exc:  # best effort: the batch is applied and committed already
                log.warning("retiring read-time sources failed: %s", type(exc).__name__, extra={"org_id": org_id})
