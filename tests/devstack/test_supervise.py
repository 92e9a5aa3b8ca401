"""The supervisor of a local stack: a child that exits is started again after a growing wait,
with one line per exit and per restart; the stack stops in its order. Real `sleep` children,
a clock the test moves."""

from __future__ import annotations

import dataclasses
import signal
import sys
from pathlib import Path

import pytest

from feed.config import Settings
from feed.devstack.procs import ManagedProcess
from feed.devstack.stack import DEPENDENCY, SERVICE, WORKER, Child, Stack
from feed.devstack.supervise import RESTART_MAX_S, RESTART_RESET_S, Supervisor, restart_delay


@dataclasses.dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def sleeper(tmp_path: Path, name: str) -> ManagedProcess:
    return ManagedProcess(name, ["sleep", "600"], tmp_path / f"{name}.log")


@pytest.fixture
def stack(tmp_path):
    running = Stack(Settings.from_env({}), [])
    yield running
    running.stop()


def add(stack: Stack, proc: ManagedProcess, rank: int = WORKER, restart=None) -> ManagedProcess:
    stack.processes.append(proc)
    stack.children[proc.name] = Child(restart or proc.again, rank, grace_s=5)
    return proc


def kill(proc: ManagedProcess) -> None:
    proc.signal(signal.SIGKILL)
    proc.proc.wait(10)


def watched(stack: Stack) -> tuple[Supervisor, Clock, list[str]]:
    clock, lines = Clock(), []
    return Supervisor(stack, lines.append, clock), clock, lines


def test_a_killed_child_is_started_again_after_half_a_second_and_each_step_is_one_line(stack, tmp_path):
    worker = add(stack, sleeper(tmp_path, "fan-out worker 1"))
    supervisor, clock, lines = watched(stack)
    supervisor.check()
    kill(worker)
    supervisor.check()
    assert lines == ["fan-out worker 1 exited with -9; restarting in 0.5 s"]
    clock.now += 0.4
    supervisor.check()
    assert len(lines) == 1 and stack.processes == [worker]  # not due yet
    clock.now += 0.1
    supervisor.check()
    successor = stack.processes[0]
    assert successor is not worker and successor.alive() and successor.args == worker.args
    assert lines[1:] == [f"fan-out worker 1 restarted, pid {successor.pid}"]


def test_the_wait_doubles_with_each_exit_and_starts_over_after_a_long_run(stack, tmp_path):
    add(stack, sleeper(tmp_path, "read service"), SERVICE)
    supervisor, clock, lines = watched(stack)
    waits = []
    for _ in range(3):
        kill(stack.processes[0])
        supervisor.check()
        waits.append(lines[-1].rsplit("restarting in ", 1)[1])
        clock.now += RESTART_MAX_S
        supervisor.check()
    assert waits == ["0.5 s", "1 s", "2 s"]
    clock.now += RESTART_RESET_S  # it stayed up a minute: healthy again
    kill(stack.processes[0])
    supervisor.check()
    assert lines[-1] == "read service exited with -9; restarting in 0.5 s"


def test_the_wait_never_exceeds_its_cap():
    assert [restart_delay(n) for n in range(4)] == [0.5, 1, 2, 4]
    assert restart_delay(10) == restart_delay(10_000) == RESTART_MAX_S


def test_a_restart_that_fails_is_reported_and_tried_again_later(stack, tmp_path):
    attempts: list[int] = []

    def broken_start() -> ManagedProcess:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("port in use")
        return sleeper(tmp_path, "redis")

    add(stack, sleeper(tmp_path, "redis"), DEPENDENCY, restart=broken_start)
    supervisor, clock, lines = watched(stack)
    kill(stack.processes[0])
    supervisor.check()
    clock.now += 0.5
    supervisor.check()
    assert lines[-1] == "redis did not start again (port in use); restarting in 1 s"
    clock.now += 1
    supervisor.check()
    assert len(attempts) == 2 and stack.processes[0].alive()


def test_a_process_without_a_restart_recipe_is_left_alone(stack, tmp_path):
    stranger = sleeper(tmp_path, "successor")
    stack.processes.append(stranger)  # added by hand, as a test does
    supervisor, clock, lines = watched(stack)
    kill(stranger)
    clock.now += RESTART_MAX_S
    supervisor.check()
    assert lines == [] and stack.processes == [stranger]


def test_the_stack_stops_services_then_workers_then_dependencies_last_started_first(stack, tmp_path):
    for name, rank in [("kafka (tansu)", DEPENDENCY), ("redis", DEPENDENCY), ("write service", SERVICE)]:
        add(stack, sleeper(tmp_path, name), rank)
    add(stack, sleeper(tmp_path, "fan-out worker 1"), WORKER)
    add(stack, sleeper(tmp_path, "read service"), SERVICE)
    codes = stack.stop()
    assert list(codes) == ["read service", "write service", "fan-out worker 1", "redis", "kafka (tansu)"]
    assert set(codes.values()) == {-signal.SIGTERM}  # sleep does not handle SIGTERM
    assert not any(p.alive() for p in stack.processes)


def test_a_restarted_feed_child_keeps_its_metrics_address(tmp_path):
    from feed.devstack.procs import start_feed

    proc = start_feed("fan-out worker 1", ["--help"], tmp_path / "w.log", {})
    again = proc.again()
    try:
        assert again.metrics_url == proc.metrics_url and again.env == proc.env
        assert again.args[:3] == [sys.executable, "-m", "feed.cli"]
    finally:
        proc.stop()
        again.stop()
