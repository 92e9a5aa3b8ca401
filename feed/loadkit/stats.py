"""Latency statistics: every figure `feed bench` and `feed replay` print comes from here.

Latencies go into HdrHistograms (microseconds, 3 significant digits over 1 us .. 1 h):
fixed memory however many requests, and percentiles exact to 0.1%, which is finer
than the millisecond figures are printed in. A percentile is the highest value
equivalent (within that precision) to the recorded sample at that rank.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from hdrh.histogram import HdrHistogram

HIGHEST_US = 3_600_000_000  # a request may wait long for its due time under overload; beyond 1 h it is clamped
PERCENTILES = {"p50_ms": 50.0, "p90_ms": 90.0, "p99_ms": 99.0, "p999_ms": 99.9}


class Latencies:
    """One latency distribution; not locked: its owner serialises record() with everything else."""

    def __init__(self, digits: int = 3) -> None:
        self._hist = HdrHistogram(1, HIGHEST_US, digits)

    def record(self, seconds: float) -> None:
        self._hist.record_value(min(HIGHEST_US, max(1, round(seconds * 1_000_000))))

    def count(self) -> int:
        return self._hist.get_total_count()

    def reset(self) -> None:
        self._hist.reset()

    def summary(self) -> dict[str, float]:
        """p50, p90, p99, p99.9 and max in milliseconds (3 decimals); zeros when nothing was recorded."""
        if self.count() == 0:
            return {**dict.fromkeys(PERCENTILES, 0.0), "max_ms": 0.0}
        out = {name: round(self._hist.get_value_at_percentile(p) / 1000, 3) for name, p in PERCENTILES.items()}
        out["max_ms"] = round(self._hist.get_max_value() / 1000, 3)
        return out

    def values_ms(self) -> list[float]:
        """Every recorded latency (to the histogram's precision), ascending, in ms: what a plot draws."""
        out: list[float] = []
        for item in self._hist.get_recorded_iterator():
            out += [round(item.value_iterated_to / 1000, 3)] * item.count_at_value_iterated_to
        return out


def summarize(seconds: Iterable[float]) -> dict[str, float]:
    """The summary of latencies given in seconds, as Latencies.summary gives it."""
    latencies = Latencies()
    for value in seconds:
        latencies.record(value)
    return latencies.summary()


class Recorder:
    """The answers of one open-loop load: latency from each request's due time, and status codes.

    Thread-safe: gRPC runs the completion callbacks on its own threads.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.latencies = Latencies()  # successful answers only: an error's latency is not a page served
        self.codes: Counter[str] = Counter()
        self.last_done = 0.0
        self._lock = threading.Lock()

    def done(self, due: float, code: str = "OK") -> None:
        """Record one answer that arrived now."""
        now = self.clock()
        with self._lock:
            self.codes[code] += 1
            self.last_done = max(self.last_done, now)
            if code == "OK":
                self.latencies.record(now - due)

    def summary(self, start: float, offered_rps: float) -> dict[str, float]:
        """Achieved rate (successes from start to the last answer), counts, and latency percentiles."""
        with self._lock:
            ok = self.codes["OK"]
            elapsed = max(self.last_done - start, 1e-9)
            return {
                "offered_rps": offered_rps,
                "achieved_rps": round(ok / elapsed, 1),
                "ok": ok,
                "errors": sum(self.codes.values()) - ok,
                **self.latencies.summary(),
            }
