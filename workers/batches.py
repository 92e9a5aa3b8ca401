"""Applying a batch that may hold a poison event: retry, then bisect, so nothing stalls a partition.

A batch that fails is tried again a few times (a blip passes). If it still fails,
it is split in halves, each applied on its own: a half that applies is done, a
half that fails is split again, until the single events left that still fail
after their own retries are handed back as dead, with the reason. Every other
event of the batch is applied.

An outage (a dependency not answering) is not the fault of any event: it never
counts as an attempt and never makes an event dead. The same events are tried
again, pausing between tries, until the dependency answers or the worker stops.

Pure over its arguments: `apply` does the work, `wait` pauses (and says whether
the worker is stopping), `is_outage` classifies a failure. Applying must be
idempotent: a failed try may have applied part of its events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing batch, or a lone event, is tried."""

    attempts: int = 3  # tries of the whole batch, and of a lone event, before the failure is believed
    first_pause_s: float = 0.2
    max_pause_s: float = 5.0  # the bound of every pause, outages included

    def pause(self, failures: int) -> float:
        """The pause after the n-th failure in a row: doubling, bounded."""
        return min(self.max_pause_s, self.first_pause_s * 2 ** max(0, failures - 1))


@dataclasses.dataclass
class Outcome(Generic[T, R]):
    """What became of a batch: what apply returned for each part that applied, and the dead events."""

    applied: list[R] = dataclasses.field(default_factory=list)
    dead: list[tuple[T, str]] = dataclasses.field(default_factory=list)  # (event, reason)
    stopped: bool = False  # the worker is stopping: the batch is not done and must not be committed


class _Stopped(Exception):
    """The wait said the worker is stopping."""


def reason_of(exc: BaseException) -> str:
    """Why an event is dead, as the dead-letter header says it: the exception's type and message."""
    return f"{type(exc).__name__}: {exc}"


def apply_isolating(
    items: Sequence[T],
    apply: Callable[[Sequence[T]], R],
    wait: Callable[[float], bool],
    is_outage: Callable[[BaseException], bool],
    policy: RetryPolicy = RetryPolicy(),
) -> Outcome[T, R]:
    """Apply items; isolate and return the ones that cannot be applied; stop when wait() says so."""
    outcome: Outcome[T, R] = Outcome()

    def attempt(part: Sequence[T], attempts: int) -> BaseException | None:
        """Apply part; None once it applied, else the failure that outlasted its attempts."""
        failures = outages = 0
        while True:
            try:
                outcome.applied.append(apply(part))
                return None
            except Exception as exc:
                if is_outage(exc):
                    outages += 1
                    pause = policy.pause(outages)
                else:
                    failures += 1
                    if failures >= attempts:
                        return exc
                    pause = policy.pause(failures)
            if wait(pause):
                raise _Stopped

    def settle(part: Sequence[T], attempts: int) -> None:
        error = attempt(part, attempts)
        if error is None:
            return
        if len(part) == 1:
            outcome.dead.append((part[0], reason_of(error)))
            return
        # One try per half; a lone event gets its own retries before it is judged dead.
        middle = len(part) // 2
        for half in (part[:middle], part[middle:]):
            settle(half, policy.attempts if len(half) == 1 else 1)

    try:
        if items:
            settle(items, policy.attempts)
    except _Stopped:
        outcome.stopped = True
    return outcome
