"""Open-loop load: each request is sent when it is due, and its latency runs from that due time.

A closed loop (send, wait, send again) slows down exactly when the server does
and so hides the slowdown (coordinated omission). Here request i of a run at
`rate` per second is due at start + i / rate whatever earlier requests are
doing, and its latency is measured from its due time, so a sender that falls
behind is charged to the figures, never hidden. Clock and sleep are injected so
tests run the scheduler on a fake clock.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable

from feed.bench.stats import summarize_ms


def due_offsets(rate: float, duration_s: float) -> list[float]:
    """Seconds after the start at which each request of the run is due."""
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration must be positive")
    return [i / rate for i in range(int(rate * duration_s))]


def run_open_loop(
    send: Callable[[float], None],
    rate: float,
    duration_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Call send(due_time) for every request when it is due; return the start time.

    send must not block on the answer (start an asynchronous call and record
    its completion elsewhere): a blocking send would turn this into a closed loop.
    """
    start = clock()
    for offset in due_offsets(rate, duration_s):
        due = start + offset
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        send(due)
    return start


@dataclasses.dataclass
class Recorder:
    """Completions of an open-loop run: latency from the due time, and status codes."""

    clock: Callable[[], float] = time.monotonic
    latencies: list[float] = dataclasses.field(default_factory=list)
    codes: Counter[str] = dataclasses.field(default_factory=Counter)
    last_done: float = 0.0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def done(self, due: float, code: str = "OK") -> None:
        """Record one answer that arrived now (thread-safe: gRPC calls back from its own threads)."""
        now = self.clock()
        with self._lock:
            self.codes[code] += 1
            self.last_done = max(self.last_done, now)
            if code == "OK":
                self.latencies.append(now - due)

    def completed(self) -> int:
        with self._lock:
            return sum(self.codes.values())

    def summary(self, start: float, offered_rps: float) -> dict[str, float]:
        """Achieved rate (successes over the run, start to last answer) and latency percentiles."""
        with self._lock:
            ok = self.codes["OK"]
            elapsed = max(self.last_done - start, 1e-9)
            out: dict[str, float] = {
                "offered_rps": offered_rps,
                "achieved_rps": round(ok / elapsed, 1),
                "ok": ok,
                "errors": sum(self.codes.values()) - ok,
            }
            out.update(summarize_ms(self.latencies))
        return out
