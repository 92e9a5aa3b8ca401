"""Publish-to-visible latency: how long after a CreatePost is sent its post shows in a home timeline.

This is the number a feed is judged by, and the one the RPC latencies do not show:
CreatePost returns once the post is stored and its event published, while fan-out runs
later. A sample of posts is probed by polling a reader's GetHomeTimeline; few probes at
a time, so the probing does not become the load.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from feed.loadkit.stats import Latencies
from feed.v1 import feed_service_pb2

POLL_PAGE = 50  # the post is new, so near the top; a page this deep absorbs posts that arrive meanwhile


class VisibilityProbe:
    """Samples posts at `fraction` and polls until each is visible or `timeout_s` passes."""

    def __init__(
        self,
        call: Callable[[str, Any, int, int], Any],  # (rpc, request, acting user, their organization)
        fraction: float,
        seed: int = 0,
        interval_s: float = 0.02,
        timeout_s: float = 5.0,
        max_active: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._call = call
        self.fraction = fraction
        self._rng = random.Random(seed)
        self.interval_s, self.timeout_s, self.max_active = interval_s, timeout_s, max_active
        self._clock = clock
        self._lock = threading.Lock()
        self._active = 0
        self._pool = ThreadPoolExecutor(max_active, thread_name_prefix="visibility") if fraction > 0 else None
        self.latency = Latencies()
        self.counts = {"timeouts": 0, "no_warm_reader": 0, "busy": 0, "poll_errors": 0}

    def offer(self, post_id: int, sent_at: float, reader: int | None, org_id: int = 0) -> None:
        """A post was created: probe it if it is drawn for the sample and a reader (of org_id) can see it."""
        if self._pool is None:
            return
        with self._lock:
            if self._rng.random() >= self.fraction:
                return
            if reader is None:
                self.counts["no_warm_reader"] += 1
                return
            if self._active >= self.max_active:
                self.counts["busy"] += 1  # skipped, not queued: probes never pile up behind a slow stack
                return
            self._active += 1
        self._pool.submit(self._poll, post_id, sent_at, reader, org_id)

    def _poll(self, post_id: int, sent_at: float, reader: int, org_id: int) -> None:
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=reader, page_size=POLL_PAGE)
        try:
            while True:
                try:
                    page = self._call("GetHomeTimeline", request, reader, org_id).result()
                    if any(p.post_id == post_id for p in page.posts):
                        with self._lock:
                            self.latency.record(self._clock() - sent_at)
                        return
                except grpc.RpcError:
                    with self._lock:
                        self.counts["poll_errors"] += 1
                if self._clock() - sent_at > self.timeout_s:
                    with self._lock:
                        self.counts["timeouts"] += 1
                    return
                time.sleep(self.interval_s)
        finally:
            with self._lock:
                self._active -= 1

    def close(self) -> None:
        """Wait for the probes in progress (each ends within timeout_s)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "samples": self.latency.count(),
                "fraction": self.fraction,
                **{k: v for k, v in self.latency.summary().items() if k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")},
                **self.counts,
            }
