"""Scrape every process of a running stack and compare counters before and after a scenario.

Other tests share the session stack, so assertions are on deltas, and a
scenario starts only once the workers are idle (settle) so stragglers from an
earlier test are not counted as ours.
"""

from __future__ import annotations

import time

from feed.devstack.procs import ManagedProcess
from feed.devstack.stack import Stack
from feed.telemetry.scrape import scrape

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
Snapshot = dict[str, Samples]  # process name -> its samples


def feed_processes(stack: Stack) -> list[ManagedProcess]:
    """The processes with a /metrics endpoint: services and workers."""
    return [p for p in stack.processes if p.metrics_url]


def workers(stack: Stack) -> list[ManagedProcess]:
    return [p for p in stack.processes if p.name.startswith("fan-out")]


def snapshot(stack: Stack) -> Snapshot:
    return {p.name: scrape(p.metrics_url) for p in feed_processes(stack)}


def value(snap: Snapshot, process_prefix: str, name: str, **labels: str) -> float:
    """A sample summed over the processes whose name starts with process_prefix.

    Only the given labels must match; others (such as a histogram's code) are summed over.
    """
    wanted = set(labels.items())
    return sum(
        v
        for proc, samples in snap.items()
        if proc.startswith(process_prefix)
        for (sample_name, sample_labels), v in samples.items()
        if sample_name == name and wanted <= set(sample_labels)
    )


def delta(before: Snapshot, after: Snapshot, process_prefix: str, name: str, **labels: str) -> float:
    return value(after, process_prefix, name, **labels) - value(before, process_prefix, name, **labels)


def names(snap: Snapshot) -> set[str]:
    """Every sample name any process exposes."""
    return {name for samples in snap.values() for name, _ in samples}


def settle(stack: Stack, quiet_s: float = 1.2, timeout_s: float = 60.0) -> None:
    """Wait until the workers have consumed everything: no lag, and no event applied for quiet_s."""
    deadline = time.monotonic() + timeout_s
    last: tuple[float, float] | None = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        snap = {p.name: scrape(p.metrics_url) for p in workers(stack)}
        state = (
            value(snap, "fan-out", "feed_fanout_events_consumed_total"),
            value(snap, "fan-out", "feed_fanout_consumer_lag_records"),
        )
        if state != last:
            last, since = state, time.monotonic()
        elif state[1] == 0 and time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.1)
    raise AssertionError(f"workers did not settle within {timeout_s}s (events consumed, lag) = {last}")
