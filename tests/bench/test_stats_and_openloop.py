"""The bench's percentile math and open-loop scheduler, on a fake clock: no real time is measured."""

from __future__ import annotations

import pytest

from feed.bench.openloop import Recorder, due_offsets, run_open_loop
from feed.bench.stats import percentile, summarize_ms


class FakeClock:
    """A clock that only moves when slept on or told to."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_nearest_rank_percentiles_are_observed_values():
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile(samples, 99.9) == 100
    assert percentile(samples, 100) == 100
    assert percentile([7.0], 99.9) == 7.0
    assert percentile([], 50) == 0.0


def test_percentiles_do_not_depend_on_sample_order():
    assert percentile([5, 1, 4, 2, 3], 60) == 3


def test_a_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_summaries_are_in_milliseconds():
    summary = summarize_ms([0.001] * 98 + [0.01, 0.5])
    assert summary == {"p50_ms": 1.0, "p99_ms": 10.0, "p999_ms": 500.0, "max_ms": 500.0}


def test_requests_are_due_at_fixed_intervals_whatever_happened_before():
    assert due_offsets(4, 1.0) == [0.0, 0.25, 0.5, 0.75]
    with pytest.raises(ValueError):
        due_offsets(0, 1.0)


def test_each_request_is_sent_when_due_and_not_before():
    clock = FakeClock()
    sent: list[tuple[float, float]] = []
    start = run_open_loop(lambda due: sent.append((due, clock())), 10, 0.5, clock, clock.sleep)
    assert [round(due - start, 6) for due, _ in sent] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert all(at >= due for due, at in sent)


def test_a_sender_that_falls_behind_is_not_given_more_time():
    clock = FakeClock()
    dues: list[float] = []

    def slow_send(due: float) -> None:
        dues.append(due)
        clock.now += 0.25  # each send takes longer than the interval

    start = run_open_loop(slow_send, 10, 0.5, clock, clock.sleep)
    assert [round(d - start, 6) for d in dues] == [0.0, 0.1, 0.2, 0.3, 0.4]  # due times do not slide
    assert clock.slept == []  # always late, never waits


def test_latency_is_counted_from_the_due_time_and_errors_apart():
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    start = clock.now
    clock.now = start + 0.010
    recorder.done(start)  # answered 10 ms after it was due
    clock.now = start + 0.030
    recorder.done(start + 0.010)
    recorder.done(start + 0.020, "UNAVAILABLE")
    summary = recorder.summary(start, offered_rps=100)
    assert summary["ok"] == 2 and summary["errors"] == 1
    assert summary["p50_ms"] == 10.0 and summary["max_ms"] == 20.0
    assert summary["achieved_rps"] == round(2 / 0.030, 1)
