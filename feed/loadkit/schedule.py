"""Open-loop scheduling: each request goes out when it is due, whatever earlier ones are doing.

A closed loop (send, wait, send) slows down exactly when the system does and so hides
the slowdown: coordinated omission. Here a request's due time is fixed in advance (by a
trace's offsets, or by a steady rate), its latency is measured from that due time, and a
request held back by the in-flight bound, or by a sender running late, still has its
latency counted from when it was due. Clock, sleep and the slots are injected, so tests
run this on a fake clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from feed.shutdown import Stop

T = TypeVar("T")


class Slots(Protocol):
    """The in-flight bound: acquire before sending, release when the answer is in."""

    def acquire(self) -> None: ...
    def release(self) -> None: ...


class InFlight:
    """A counting bound on requests in flight, with a wait for all of them to finish."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("concurrency must be at least 1")
        self.limit = limit
        self._used = 0
        self._cond = threading.Condition()
        self.waits = 0  # acquisitions that found every slot taken: the target was not keeping up

    def acquire(self) -> None:
        with self._cond:
            if self._used >= self.limit:
                self.waits += 1
            self._cond.wait_for(lambda: self._used < self.limit)
            self._used += 1

    def release(self) -> None:
        with self._cond:
            self._used -= 1
            self._cond.notify_all()

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until nothing is in flight; False if timeout_s passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._used == 0, timeout_s)


def at_rate(rate: float, duration_s: float) -> Iterator[tuple[float, int]]:
    """(offset s, request number) of a steady load: request i is due at i / rate, for duration_s."""
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration must be positive")
    return ((i / rate, i) for i in range(int(rate * duration_s)))


def due_time(start: float, offset_s: float, speed: float) -> float:
    """When a request is due: its offset, compressed by the speed, from the start."""
    return start + offset_s / speed


class OpenLoopScheduler:
    """Sends items at their due times; `send(item, due)` must not block, and a slot it takes
    must be released when the answer is in (or when the request is given up)."""

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], object],
        slots: Slots,
        speed: float = 1.0,
        stop: Stop | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.clock, self.sleep, self.slots, self.speed = clock, sleep, slots, speed
        self.stop = stop or threading.Event()
        self.start = 0.0
        self.sent = 0

    def run(
        self,
        items: Iterable[tuple[float, T]],
        send: Callable[[T, float], None],
        duration_limit_s: float | None = None,
        start: float | None = None,
    ) -> float:
        """items: (offset s, item) in offset order, read lazily: the look-ahead is one item.

        Stops when stop is set, or once duration_limit_s seconds have passed by the schedule or
        by the clock (a run that falls behind still ends on time). start, the clock's reading
        when offset 0 is due, defaults to now; returns it.
        """
        self.start = self.clock() if start is None else start
        for offset_s, item in items:
            due = due_time(self.start, offset_s, self.speed)
            if duration_limit_s is not None and max(due, self.clock()) - self.start > duration_limit_s:
                break  # past the limit by the schedule, or by the clock when sends are running late
            wait = due - self.clock()
            if wait > 0:
                self.sleep(wait)
            if self.stop.is_set():
                break
            self.slots.acquire()  # may wait for a free slot: the latency still counts from `due`
            send(item, due)
            self.sent += 1
        return self.start
