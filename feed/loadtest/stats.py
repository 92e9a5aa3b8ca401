"""Replay statistics: per RPC counts, errors by status code, and latencies over time.

Latencies go into the load kit's HdrHistogram-backed Latencies (fixed memory however
many requests). Each RPC also has a coarser distribution per time window, rolled over
as answers arrive, so the report can plot percentiles over time without keeping every
latency.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from feed.loadkit.stats import Latencies


class RpcStats:
    """One RPC's totals and its current time window."""

    def __init__(self) -> None:
        self.count = 0
        self.errors: Counter[str] = Counter()
        self.latency = Latencies()
        self.window = Latencies(2)
        self.window_index = 0
        self.window_count = 0
        self.window_errors = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "errors": sum(self.errors.values()),
            **self.latency.summary(),
            "errors_by_code": dict(sorted(self.errors.items())),
        }


class ReplayStats:
    """Everything a replay measured; thread-safe (answers arrive on gRPC's threads)."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self.start = 0.0
        self.by_rpc: dict[str, RpcStats] = {}
        self.skipped: Counter[str] = Counter()
        self.send_lag = Latencies()  # how late sends left: the client's own saturation, not the server's
        self.windows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, rpc: str, latency_s: float, code: str, completed_at: float) -> None:
        """One answer: its latency from the due time, and "OK" or the status code's name."""
        index = int((completed_at - self.start) / self.window_s)
        with self._lock:
            stats = self.by_rpc.get(rpc) or self.by_rpc.setdefault(rpc, RpcStats())
            if index > stats.window_index:
                self._close_window(rpc, stats)
                stats.window_index = index
            stats.count += 1
            stats.window_count += 1
            if code != "OK":
                stats.errors[code] += 1
                stats.window_errors += 1
            stats.latency.record(latency_s)
            stats.window.record(latency_s)

    def skip(self, rpc: str, reason: str) -> None:
        """A request of the trace that could not be sent (a post it names was never created)."""
        with self._lock:
            self.skipped[f"{rpc}: {reason}"] += 1

    def lag(self, seconds: float) -> None:
        with self._lock:
            self.send_lag.record(max(0.0, seconds))

    def _close_window(self, rpc: str, stats: RpcStats) -> None:
        if stats.window_count:
            self.windows.append(
                {
                    "t_s": round(stats.window_index * self.window_s, 3),
                    "rpc": rpc,
                    "count": stats.window_count,
                    "errors": stats.window_errors,
                    **stats.window.summary(),
                }
            )
        stats.window.reset()
        stats.window_count = stats.window_errors = 0

    def finish(self) -> None:
        """Close every open window; call once, when nothing is in flight."""
        with self._lock:
            for rpc, stats in self.by_rpc.items():
                self._close_window(rpc, stats)
            self.windows.sort(key=lambda row: (row["t_s"], row["rpc"]))

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            by_rpc = {rpc: self.by_rpc[rpc].to_json() for rpc in sorted(self.by_rpc)}
            return {
                "requests": sum(s["count"] for s in by_rpc.values()),
                "errors": sum(s["errors"] for s in by_rpc.values()),
                "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(self.skipped),
                "by_rpc": by_rpc,
                "send_lag": self.send_lag.summary(),
            }
