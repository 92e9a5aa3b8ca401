"""The stream figures: lost probes are charged in full, and RSS comes from /proc."""

from __future__ import annotations

import os

from feed.bench.report import table, verdicts
from feed.bench.streams import rss_kib, stream_figures
from feed.bench.visibility import GIVE_UP_S


def test_a_lost_stream_probe_counts_as_the_whole_wait():
    figures = stream_figures([0.01] * 99 + [float("inf")])
    assert figures["stream_visible_lost"] == 1
    assert figures["stream_visible_p99_ms"] >= 0.01 * 1000
    assert stream_figures([float("inf")])["stream_visible_p50_ms"] >= GIVE_UP_S * 1000


def test_the_stream_targets_are_in_the_table_and_the_verdicts():
    figures = {"stream_visible_p99_ms": 200.0, "stream_rss_kib_per_stream": 30.0}
    assert verdicts(figures) == {"target_stream_visible_p99_ms": False, "target_stream_rss_kib_per_stream": True}
    assert "RSS per idle stream" in table(figures)


def test_rss_is_read_for_a_live_process():
    assert rss_kib(os.getpid()) > 1000
