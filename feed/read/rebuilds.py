"""Home timeline rebuilds off the RPC threads: a few rebuild threads, one rebuild in flight per user.

A read that finds its timeline missing asks for the user's rebuild and waits
for it up to a short deadline; the store queries run on a rebuild thread, so a
slow store ties up a bounded number of threads, not the RPC pool. Readers of the
same missing timeline in this process share one rebuild (and across processes,
the claim in Redis lets one of them build it). Past MAX_IN_FLIGHT users in
flight, no rebuild is started: the read answers UNAVAILABLE and is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from feed.store.base import Store
from feed.telemetry import metrics
from feed.timeline.rebuild import REBUILD_DEADLINE_S, RebuildAbandoned, rebuild_home_timeline
from feed.timeline.store import TimelineStore

log = logging.getLogger("feed.read")
REBUILD_THREADS = 4  # rebuilds running at once in one read service
MAX_IN_FLIGHT = 256  # users whose rebuild is running or queued; the queue's bound
_FAILED = {reason: metrics.REBUILD_FAILURES.labels(reason) for reason in ("error", "deadline", "claim_lost")}
_QUEUE_FULL = metrics.REBUILD_FAILURES.labels("queue_full")


class RebuildQueue:
    """Runs home timeline rebuilds on its own threads, at most one per (user, organization) at a time."""

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        threads: int = REBUILD_THREADS,
        max_in_flight: int = MAX_IN_FLIGHT,
        deadline_s: float = REBUILD_DEADLINE_S,
    ) -> None:
        self._store = store
        self._timelines = timelines
        self._deadline_s = deadline_s
        self._max_in_flight = max_in_flight
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="rebuild")
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[int, int], Future[bool]] = {}

    def request(self, user_id: int, org_id: int = 0) -> Future[bool] | None:
        """The user's rebuild in flight, started if there is none; None when too many are in flight."""
        key = (user_id, org_id)
        with self._lock:
            future = self._in_flight.get(key)
            if future is None:
                if len(self._in_flight) >= self._max_in_flight:
                    _QUEUE_FULL.inc()
                    return None
                # Submitted under the lock: _run forgets the key under it too, so it cannot do so
                # before the key is recorded here, which would leave a finished future behind.
                future = self._in_flight[key] = self._pool.submit(self._run, user_id, org_id)
            return future

    def in_flight(self, user_id: int, org_id: int = 0) -> Future[bool] | None:
        """The user's rebuild if this process runs (or queued) one, without starting any."""
        with self._lock:
            return self._in_flight.get((user_id, org_id))

    def _run(self, user_id: int, org_id: int) -> bool:
        """One rebuild, counted; True if it installed the timeline."""
        metrics.REBUILDS_STARTED.inc()
        started = time.perf_counter()
        try:
            rebuilt = rebuild_home_timeline(self._store, self._timelines, user_id, org_id, self._deadline_s)
            if rebuilt:
                metrics.TIMELINE_REBUILDS.inc()
            return rebuilt
        except RebuildAbandoned as exc:
            _FAILED[exc.reason].inc()
            log.warning("home timeline rebuild abandoned: %s", exc.reason)
            raise
        except Exception as exc:
            _FAILED["error"].inc()
            log.warning("home timeline rebuild failed: %s", type(exc).__name__)
            raise
        finally:
            metrics.REBUILD_SECONDS.observe(time.perf_counter() - started)
            with self._lock:
                self._in_flight.pop((user_id, org_id), None)

    def close(self) -> None:
        """Stop taking rebuilds; those running finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
