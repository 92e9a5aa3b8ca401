"""The one fake clock of the test suite: time moves only when a test says so."""

from __future__ import annotations

import time

FAR_FROM_ZERO = 1_800_000_000.0  # a plausible wall-clock time (2027), so no code sees an epoch-zero clock


class FakeClock:
    """A clock to pass where code takes `clock=time.time` or `clock=time.monotonic`.

    Calling it returns now; advance() and sleep() move it forward, so code that
    waits on it by sleeping finishes at once and sees the time it waited for.
    slept lists the sleeps asked for, for tests of code that must (not) wait.
    """

    def __init__(self, now: float = FAR_FROM_ZERO) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    @classmethod
    def at_wall_time(cls) -> FakeClock:
        """A fake clock starting at the real time: for code that mixes it with a library's real clock."""
        return cls(time.time())
