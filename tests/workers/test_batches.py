"""The batch policy: a poison event is isolated and dead, every other event applied; an outage kills nothing."""

from __future__ import annotations

from collections.abc import Sequence

from feed.errors import Unavailable
from workers.batches import RetryPolicy, apply_isolating

POLICY = RetryPolicy(attempts=3, first_pause_s=0.1, max_pause_s=0.4)


class InMemoryApply:
    """Applies integers to a list; poison ones fail every time, and `outages` tries fail first as outages."""

    def __init__(self, poison: set[int] = frozenset(), outages: int = 0, blips: int = 0) -> None:
        self.poison = poison
        self.outages = outages
        self.blips = blips  # deterministic-looking failures that pass: a batch retried gets through
        self.applied: list[int] = []
        self.tries = 0

    def __call__(self, part: Sequence[int]) -> int:
        self.tries += 1
        if self.outages:
            self.outages -= 1
            raise Unavailable("redis did not answer")
        if self.blips:
            self.blips -= 1
            raise RuntimeError("a blip")
        bad = [x for x in part if x in self.poison]
        if bad:
            raise ValueError(f"cannot apply {bad[0]}")
        self.applied.extend(part)
        return len(part)


class Waits:
    """Records every pause; says "stopping" after `stop_after` of them."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.pauses: list[float] = []
        self.stop_after = stop_after

    def __call__(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        return self.stop_after is not None and len(self.pauses) >= self.stop_after


def outage(exc: BaseException) -> bool:
    return isinstance(exc, Unavailable)


def test_a_batch_that_applies_is_applied_once_and_kills_nothing():
    apply, waits = InMemoryApply(), Waits()
    outcome = apply_isolating(list(range(10)), apply, waits, outage, POLICY)
    assert apply.applied == list(range(10)) and outcome.applied == [10]
    assert outcome.dead == [] and waits.pauses == [] and not outcome.stopped


def test_a_poison_event_is_dead_with_its_reason_and_every_other_event_of_the_batch_is_applied():
    events = list(range(1, 101))
    apply = InMemoryApply(poison={37})
    outcome = apply_isolating(events, apply, Waits(), outage, POLICY)
    assert outcome.dead == [(37, "ValueError: cannot apply 37")]
    assert apply.applied == [e for e in events if e != 37]  # in their order
    assert sum(outcome.applied) == 99


def test_several_poison_events_are_each_dead_and_the_rest_applied():
    events = list(range(1, 65))
    apply = InMemoryApply(poison={1, 2, 64})
    outcome = apply_isolating(events, apply, Waits(), outage, POLICY)
    assert sorted(e for e, _ in outcome.dead) == [1, 2, 64]
    assert apply.applied == list(range(3, 64))


def test_a_failure_that_passes_within_the_attempts_is_a_blip_not_a_poison():
    apply, waits = InMemoryApply(blips=2), Waits()
    outcome = apply_isolating([1, 2, 3], apply, waits, outage, POLICY)
    assert outcome.dead == [] and apply.applied == [1, 2, 3]
    assert waits.pauses == [0.1, 0.2]  # growing


def test_a_lone_event_that_keeps_failing_is_tried_the_policy_s_attempts_then_dead():
    apply = InMemoryApply(poison={5})
    outcome = apply_isolating([5], apply, Waits(), outage, POLICY)
    assert apply.tries == 3 and outcome.dead == [(5, "ValueError: cannot apply 5")]


def test_an_outage_longer_than_the_attempts_kills_nothing_and_the_batch_applies_once_it_ends():
    apply, waits = InMemoryApply(outages=10), Waits()
    outcome = apply_isolating([1, 2, 3], apply, waits, outage, POLICY)
    assert outcome.dead == [] and apply.applied == [1, 2, 3] and outcome.applied == [3]
    assert len(waits.pauses) == 10 and max(waits.pauses) == 0.4  # bounded


def test_stopping_during_an_outage_leaves_the_batch_not_done_and_nothing_dead():
    apply = InMemoryApply(outages=1000)
    outcome = apply_isolating([1, 2, 3], apply, Waits(stop_after=4), outage, POLICY)
    assert outcome.stopped and outcome.dead == [] and apply.applied == []
    assert apply.tries == 4


def test_an_outage_while_bisecting_does_not_make_the_part_in_hand_dead():
    class OutageOnceBisecting(InMemoryApply):
        def __call__(self, part: Sequence[int]) -> int:
            if len(part) == 2 and self.outages == 0 and self.tries < 100:
                self.outages, self.tries = 3, 100  # Redis goes away while a half is tried, once
            return super().__call__(part)

    apply = OutageOnceBisecting(poison={4})
    outcome = apply_isolating([1, 2, 3, 4], apply, Waits(), outage, POLICY)
    assert outcome.dead == [(4, "ValueError: cannot apply 4")] and apply.applied == [1, 2, 3]
