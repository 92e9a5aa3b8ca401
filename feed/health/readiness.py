"""Readiness: does each dependency answer? Checked in the background about once a second.

Every process runs one ReadinessChecker over the dependencies it needs (Redis,
the durable store, and the broker for the write service and the workers).
Each probe is one cheap request with a short timeout, run on a thread of its
own and waited for at most timeout_s, so a dependency that hangs (a stopped
process still accepts connections) reads as down within seconds instead of
stalling the checker. A probe still hung from the round before is not started
again. The result feeds the feed_dependency_up gauge, /healthz on the metrics
port, and, in the services, gRPC health (services/server.py).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from feed.telemetry import metrics

log = logging.getLogger("feed.health.readiness")
PERIOD_S = 1.0
TIMEOUT_S = 1.0  # per probe: well above a healthy answer, well below a probe period plus a scrape
FAILURES_TO_DOWN = 2  # one slow answer under load is not an outage; two in a row are


@dataclasses.dataclass(frozen=True)
class Probe:
    """One dependency and a cheap call that raises when the dependency does not answer."""

    name: str  # the `dependency` label: "redis", "store", "kafka"
    check: Callable[[], object]


class ReadinessChecker:
    """Runs every probe each period and tells listeners when overall readiness changes."""

    def __init__(self, probes: Iterable[Probe], period_s: float = PERIOD_S, timeout_s: float = TIMEOUT_S) -> None:
        self._probes = list(probes)
        self._period_s = period_s
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self._probes)), thread_name_prefix="readiness")
        self._pending: dict[str, Future] = {}
        self._failures = {p.name: 0 for p in self._probes}
        self._up = {p.name: False for p in self._probes}  # down until a probe first answers
        self._ready: bool | None = None  # None: never checked
        self._listeners: list[Callable[[bool], None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self) -> tuple[bool, dict[str, bool]]:
        """Overall readiness and each dependency's state, as of the last check."""
        with self._lock:
            return bool(self._ready), dict(self._up)

    def add_listener(self, listener: Callable[[bool], None]) -> None:
        """Call listener(ready) now if a check has run, and after every change of readiness."""
        with self._lock:
            self._listeners.append(listener)
            ready = self._ready
        if ready is not None:
            listener(ready)

    def check_once(self) -> bool:
        """Run (or keep waiting for) every probe, at most timeout_s; record and report the result."""
        futures: dict[str, Future] = {}
        for probe in self._probes:
            pending = self._pending.get(probe.name)
            if pending is None or pending.done():
                pending = self._pool.submit(probe.check)
                self._pending[probe.name] = pending
            futures[probe.name] = pending
        wait(futures.values(), timeout=self._timeout_s)
        self._record({name: future.done() and future.exception() is None for name, future in futures.items()})
        return self.status()[0]

    def start(self) -> ReadinessChecker:
        """Check once now (so the first answer is a real one), then every period in the background."""
        self.check_once()
        self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._period_s + self._timeout_s + 1)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self.check_once()
            except Exception:  # a bug here must not end the checks and freeze the last status
                log.exception("readiness check failed")

    def _record(self, answered: dict[str, bool]) -> None:
        changed: list[tuple[str, bool]] = []
        with self._lock:
            first = self._ready is None
            for name, ok in answered.items():
                self._failures[name] = 0 if ok else self._failures[name] + 1
                up = ok or (self._up[name] and self._failures[name] < FAILURES_TO_DOWN)
                if up != self._up[name] or (first and not up):
                    changed.append((name, up))
                self._up[name] = up
                metrics.DEPENDENCY_UP.labels(name).set(1 if up else 0)
            ready = all(self._up.values())
            flipped = ready != self._ready
            self._ready = ready
            listeners = list(self._listeners) if flipped else []
        for name, up in changed:
            if up:
                log.info("dependency up", extra={"dependency": name})
            else:
                log.warning("dependency down", extra={"dependency": name})
        for listener in listeners:
            listener(ready)
