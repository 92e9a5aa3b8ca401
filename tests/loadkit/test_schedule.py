"""The load kit's open-loop scheduler on a fake clock: sends keep to the schedule, latency counts from the due time."""

from __future__ import annotations

import heapq
import threading

import pytest

from feed.loadkit.schedule import InFlight, OpenLoopScheduler, at_rate, due_time
from tests.clock import FakeClock


class FakeServer:
    """Answers each request after a set service time on the fake clock, with a bound on requests in flight.

    Acting as the slots too: acquiring a slot while all are busy advances the clock to the
    earliest answer, as a real replayer would block until one arrives."""

    def __init__(self, clock: FakeClock, service_s: dict[str, float], limit: int = 1_000) -> None:
        self.clock, self.service_s, self.limit = clock, service_s, limit
        self.answers: list[float] = []  # heap of answer times in flight
        self.sent: dict[str, float] = {}
        self.latency: dict[str, float] = {}

    def acquire(self) -> None:
        while self.answers and self.answers[0] <= self.clock.now:
            heapq.heappop(self.answers)
        if len(self.answers) >= self.limit:
            self.clock.now = max(self.clock.now, heapq.heappop(self.answers))

    def release(self) -> None:  # answers free their slot in acquire(), when the clock passes them
        pass

    def send(self, name: str, due: float) -> None:
        self.sent[name] = self.clock.now
        answer = self.clock.now + self.service_s.get(name, 0.001)
        heapq.heappush(self.answers, answer)
        self.latency[name] = answer - due  # from the due time, never from the (later) send time


def _run(server: FakeServer, clock: FakeClock, items, speed=1.0, limit_s=None) -> OpenLoopScheduler:
    scheduler = OpenLoopScheduler(clock, clock.sleep, server, speed)
    scheduler.run(items, server.send, limit_s)
    return scheduler


def test_a_slow_answer_does_not_delay_later_sends():
    clock = FakeClock(100.0)
    server = FakeServer(clock, {"slow": 2.0})
    _run(server, clock, [(0, "slow"), (0.010, "a"), (0.020, "b"), (1.0, "c")])
    assert {k: round(v - 100.0, 6) for k, v in server.sent.items()} == {"slow": 0, "a": 0.01, "b": 0.02, "c": 1.0}
    assert server.latency["slow"] == pytest.approx(2.0)
    assert server.latency["a"] == pytest.approx(0.001)


def test_a_request_held_back_by_the_concurrency_bound_counts_its_wait():
    clock = FakeClock(100.0)
    server = FakeServer(clock, {"first": 0.100, "second": 0.100}, limit=1)
    _run(server, clock, [(0, "first"), (0.010, "second")])
    assert server.sent["second"] - 100.0 == pytest.approx(0.100)  # could only go when the first answered
    assert server.latency["second"] == pytest.approx(0.190)  # due at 10 ms, answered at 200 ms: not 100 ms


def test_speed_compresses_the_schedule():
    assert due_time(5.0, 1.5, 1.0) == 6.5
    assert due_time(5.0, 1.5, 3.0) == pytest.approx(5.5)
    clock = FakeClock(100.0)
    server = FakeServer(clock, {})
    _run(server, clock, [(0, "a"), (4.0, "b")], speed=4.0)
    assert server.sent["b"] - 100.0 == pytest.approx(1.0)


def test_a_late_scheduler_sends_at_once_and_never_sleeps_backwards():
    clock = FakeClock(100.0)
    sleeps: list[float] = []
    server = FakeServer(clock, {})

    def slow_send(name: str, due: float) -> None:
        server.send(name, due)
        clock.now += 0.5  # encoding took half a second: the next two are already due

    scheduler = OpenLoopScheduler(clock, lambda s: sleeps.append(s) or clock.sleep(s), server)
    scheduler.run([(0, "a"), (0.1, "b"), (0.2, "c"), (2.0, "d")], slow_send)
    assert [round(s, 6) for s in sleeps] == [0.5]  # only before d, due at 2.0 s, sent at 1.5 s
    assert server.latency["c"] == pytest.approx(0.8 + 0.001)


def test_the_duration_limit_and_the_stop_event_end_the_run():
    clock = FakeClock(100.0)
    server = FakeServer(clock, {})
    scheduler = _run(server, clock, [(t / 1000, f"r{t}") for t in range(0, 10_000, 1000)], limit_s=3.5)
    assert scheduler.sent == 4
    late = FakeServer(clock, {}, limit=1)
    late.service_s = {f"r{t}": 2.0 for t in range(0, 10_000, 100)}  # each answer takes 2 s, one at a time
    scheduler = _run(late, clock, [(t / 1000, f"r{t}") for t in range(0, 10_000, 100)], limit_s=3.5)
    assert scheduler.sent == 3  # 35 were due by 3.5 s, but the clock passed it while the third waited
    stop = threading.Event()
    stop.set()
    scheduler = OpenLoopScheduler(clock, clock.sleep, server, stop=stop)
    scheduler.run([(0, "x")], server.send)
    assert scheduler.sent == 0


def test_in_flight_bound_counts_waits_and_drains():
    slots = InFlight(2)
    slots.acquire()
    slots.acquire()
    releaser = threading.Timer(0.01, slots.release)
    releaser.start()
    slots.acquire()  # blocks until the timer frees one
    assert slots.waits == 1
    for _ in range(2):
        slots.release()
    threading.Timer(0.01, slots.release).start()
    assert slots.drain(timeout_s=5)
    with pytest.raises(ValueError):
        InFlight(0)


def test_a_steady_rate_makes_requests_due_at_fixed_intervals():
    assert list(at_rate(4, 1.0)) == [(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3)]
    with pytest.raises(ValueError):
        at_rate(0, 1.0)


def test_a_steady_load_is_sent_when_due_and_not_before():
    clock = FakeClock(100.0)
    server = FakeServer(clock, {})
    sent: list[tuple[float, float]] = []
    scheduler = OpenLoopScheduler(clock, clock.sleep, server)
    start = scheduler.run(at_rate(10, 0.5), lambda n, due: sent.append((due, clock())))
    assert [round(due - start, 6) for due, _ in sent] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert [round(at - due, 6) for due, at in sent] == [0.0] * 5


def test_a_steady_load_whose_sender_falls_behind_keeps_its_due_times():
    clock = FakeClock(100.0)
    server = FakeServer(clock, {})
    dues: list[float] = []

    def slow_send(n: int, due: float) -> None:
        dues.append(due)
        clock.now += 0.25  # each send takes longer than the interval

    start = OpenLoopScheduler(clock, clock.sleep, server).run(at_rate(10, 0.5), slow_send)
    assert [round(d - start, 6) for d in dues] == [0.0, 0.1, 0.2, 0.3, 0.4]  # due times do not slide
    assert clock.slept == []  # always late, never waits
