"""The load kit's latency statistics against inputs whose percentiles are known: no real time is measured."""

from __future__ import annotations

import pytest

from feed.loadkit.stats import HIGHEST_US, Latencies, Recorder, summarize
from tests.clock import FakeClock

HUNDRED = [n * 10e-6 for n in range(1, 101)]  # 10 us .. 1 ms: below 2,048 us every value is kept exactly


def test_percentiles_of_a_known_distribution_are_the_samples_at_their_rank():
    assert summarize(HUNDRED) == {"p50_ms": 0.5, "p90_ms": 0.9, "p99_ms": 0.99, "p999_ms": 1.0, "max_ms": 1.0}


def test_percentiles_do_not_depend_on_the_order_samples_arrive_in():
    assert summarize(reversed(HUNDRED)) == summarize(HUNDRED)


def test_a_rare_slow_request_shows_at_p99_9_but_not_at_p99():
    summary = summarize([0.001] * 998 + [0.5, 0.5])
    assert summary["p99_ms"] == 1.0
    assert summary["p999_ms"] == pytest.approx(500, rel=1e-3)
    assert summary["max_ms"] == pytest.approx(500, rel=1e-3)


def test_large_latencies_keep_three_significant_digits():
    summary = summarize([1.234567, 0.000017])
    assert summary["max_ms"] == pytest.approx(1234.567, rel=1e-3)
    assert summary["p50_ms"] == 0.017  # the small one exactly, not lost in the big one's bucket


def test_nothing_recorded_summarizes_as_zeros():
    assert summarize([]) == {"p50_ms": 0.0, "p90_ms": 0.0, "p99_ms": 0.0, "p999_ms": 0.0, "max_ms": 0.0}


def test_latencies_beyond_an_hour_are_clamped_not_lost():
    latencies = Latencies()
    latencies.record(7200.0)
    latencies.record(-1.0)  # a clock step backwards counts as the smallest latency
    assert latencies.count() == 2
    assert latencies.summary()["max_ms"] == pytest.approx(HIGHEST_US / 1000, rel=1e-3)


def test_recorded_values_come_back_ascending_for_plots():
    latencies = Latencies()
    for seconds in (0.002, 0.001, 0.001):
        latencies.record(seconds)
    assert latencies.values_ms() == [1.0, 1.0, 2.0]
    latencies.reset()
    assert latencies.count() == 0 and latencies.values_ms() == []


def test_the_recorder_counts_latency_from_the_due_time_and_errors_apart():
    clock = FakeClock(100.0)
    recorder = Recorder(clock=clock)
    start = clock.now
    clock.now = start + 0.010
    recorder.done(start)  # answered 10 ms after it was due
    clock.now = start + 0.030
    recorder.done(start + 0.010)  # sent late or answered late: 20 ms from its due time either way
    recorder.done(start + 0.020, "UNAVAILABLE")
    summary = recorder.summary(start, offered_rps=100)
    assert summary["ok"] == 2 and summary["errors"] == 1
    assert summary["p50_ms"] == pytest.approx(10.0, rel=1e-3) and summary["max_ms"] == pytest.approx(20.0, rel=1e-3)
    assert summary["achieved_rps"] == round(2 / 0.030, 1)
    assert summary["offered_rps"] == 100
