"""The readiness checker: bounded waits, no flapping on one slow answer, listeners told of changes."""

from __future__ import annotations

import threading

from prometheus_client import REGISTRY

from feed.health.readiness import FAILURES_TO_DOWN, Probe, ReadinessChecker
from tests.integration.stack import eventually


class Switch:
    """A probe target that answers, fails or hangs on command."""

    def __init__(self) -> None:
        self.mode = "up"
        self.release = threading.Event()
        self.calls = 0

    def check(self) -> None:
        self.calls += 1
        if self.mode == "down":
            raise ConnectionError("refused")
        if self.mode == "hang":
            self.release.wait(5)


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value("feed_dependency_up", {"dependency": name})


def checker(*probes: Probe) -> ReadinessChecker:
    return ReadinessChecker(probes, period_s=60, timeout_s=0.05)  # rounds are driven by check_once here


def test_a_dependency_that_answers_is_up_and_reported():
    target = Switch()
    readiness = checker(Probe("t-up", target.check))
    assert readiness.check_once() is True
    assert readiness.status() == (True, {"t-up": True})
    assert gauge("t-up") == 1.0


def test_one_failed_answer_is_not_an_outage_but_two_in_a_row_are():
    target = Switch()
    readiness = checker(Probe("t-flaky", target.check))
    readiness.check_once()
    target.mode = "down"
    assert readiness.check_once() is True  # one failure: still up
    for _ in range(FAILURES_TO_DOWN - 1):
        readiness.check_once()
    assert readiness.status() == (False, {"t-flaky": False})
    assert gauge("t-flaky") == 0.0
    target.mode = "up"
    assert readiness.check_once() is True  # one answer is enough to come back


def test_a_hung_dependency_reads_as_down_within_the_timeout_and_is_not_piled_on():
    target, other = Switch(), Switch()
    readiness = checker(Probe("t-hung", target.check), Probe("t-fine", other.check))
    readiness.check_once()
    target.mode = "hang"
    for _ in range(FAILURES_TO_DOWN + 2):
        readiness.check_once()
    assert readiness.status() == (False, {"t-hung": False, "t-fine": True})
    assert target.calls == 2  # the hung call is waited on again, not started again
    target.mode = "up"
    target.release.set()
    readiness.check_once()  # collects the finished call...
    assert readiness.check_once() is True  # ...and the next round answers
    readiness.stop()


def test_listeners_hear_the_current_state_at_once_and_then_only_changes():
    target = Switch()
    readiness = checker(Probe("t-listened", target.check))
    readiness.check_once()
    heard: list[bool] = []
    readiness.add_listener(heard.append)
    readiness.check_once()
    target.mode = "down"
    for _ in range(FAILURES_TO_DOWN + 1):
        readiness.check_once()
    target.mode = "up"
    readiness.check_once()
    assert heard == [True, False, True]


def test_the_background_thread_checks_until_stopped():
    target = Switch()
    before = set(threading.enumerate())
    readiness = ReadinessChecker([Probe("t-thread", target.check)], period_s=0.01, timeout_s=0.05).start()
    try:
        eventually(lambda: target.calls >= 3, timeout_s=5)
    finally:
        readiness.stop()
    # Stopped means the checking thread has ended, so no later round can call the probe.
    assert not [t for t in set(threading.enumerate()) - before if t.name == "readiness"]
