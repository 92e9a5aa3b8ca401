"""`feed up` as an operator runs it: a killed child comes back and the stack serves on; SIGTERM
at any moment, starting or serving, ends it with exit 0 and no child left behind."""

from __future__ import annotations

import math
import os
import random
import re
import signal
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest

from feed.access.tokens import AuthKeys
from feed.devstack.procs import ManagedProcess
from tests.integration.stack import Client, eventually, isolated_settings, marked_processes, new_user

pytestmark = [pytest.mark.integration, pytest.mark.fault]

RUN_MARK = "FEED_UP_TEST_RUN"  # in the environment of feed up, so of every process it starts
UP_TIMEOUT_S = 120  # Tansu, Redis, two services, workers that join their group
STOP_WITHIN_S = 30  # services drain, workers commit, Redis and the broker stop; a hang fails
UP = "feed stack is up"


class FeedUp:
    """One `feed up` child on free ports and a data directory of its own, its console in a log."""

    def __init__(self, tmp_path: Path, workers: int) -> None:
        self.settings = isolated_settings(tmp_path)
        self.mark = uuid.uuid4().hex
        env = {**self.settings.env(), RUN_MARK: self.mark}
        args = [sys.executable, "-m", "feed.cli", "up", "--workers", str(workers), "--data-dir", str(tmp_path)]
        self.proc = ManagedProcess("feed up", args, tmp_path / "console.log", env, hold_signals=True)

    def console(self) -> str:
        return self.proc.log_path.read_text(errors="replace")

    def pid_of(self, name: str) -> int:
        """The pid `feed up` printed for its child name."""
        return int(re.search(rf"^\s+{re.escape(name)}\s+pid (\d+)", self.console(), re.M).group(1))

    def children(self) -> list[int]:
        """Pids of live processes started by this feed up (they inherited its environment)."""
        return marked_processes(RUN_MARK, self.mark, self.proc.pid)

    def stop_with_sigterm(self, repeats: int = 1) -> int:
        """SIGTERM (repeated, as an impatient operator does); the exit code, once it stopped."""
        for _ in range(repeats):
            self.proc.signal(signal.SIGTERM)
        return self.proc.proc.wait(STOP_WITHIN_S)  # TimeoutExpired: it hung


@pytest.fixture
def feed_up(tmp_path):
    started: list[FeedUp] = []

    def start(workers: int = 1) -> FeedUp:
        started.append(FeedUp(tmp_path / f"run-{len(started)}", workers))
        return started[-1]

    yield start
    for run in started:
        run.proc.stop(STOP_WITHIN_S)


def serves_a_round_trip(client: Client, author: int) -> bool:
    """A new post reaches its author's home timeline (write service, broker, worker, Redis, read service)."""
    try:
        post = client.post(author, "after the restarts").post_id
        eventually(lambda: post in client.home_ids(author), timeout_s=20)
        return True
    except (grpc.RpcError, AssertionError):
        return False


KILLED = ("fan-out worker 1", "read service", "redis", "kafka (tansu)")


def test_killed_children_and_dependencies_are_restarted_and_the_stack_serves_on(feed_up):
    up = feed_up(workers=1)
    eventually(lambda: UP in up.console() or not up.proc.alive(), timeout_s=UP_TIMEOUT_S)
    assert up.proc.alive(), up.console()
    for name in KILLED:
        os.kill(up.pid_of(name), signal.SIGKILL)
    for name in KILLED:
        eventually(lambda name=name: f"{name} exited with -9; restarting in 0.5 s" in up.console(), timeout_s=10)
        eventually(lambda name=name: f"{name} restarted, pid" in up.console(), timeout_s=60)
    assert "stopping" not in up.console()

    client = Client(up.settings.write_addr, up.settings.read_addr, AuthKeys.from_settings(up.settings))
    try:
        author = new_user()
        eventually(lambda: serves_a_round_trip(client, author), timeout_s=90, interval_s=0.5)
    finally:
        client.close()

    assert up.stop_with_sigterm() == 0, up.console()
    stopped = up.console().rsplit("stopped: ", 1)[1]
    assert "fan-out worker 1 (0)" in stopped and "read service (0)" in stopped, stopped
    assert up.children() == []


EARLY_S = (0.001, 0.5)  # the interpreter, imports, the broker starting


@pytest.mark.parametrize("when", ["early in start-up", "late in start-up", "serving"])
def test_sigterm_whenever_it_arrives_stops_feed_up_with_exit_0_and_no_child_left(feed_up, when):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    up = feed_up()
    if when == "early in start-up":
        moment = math.exp(rng.uniform(*map(math.log, EARLY_S)))  # log scale: the first milliseconds count
    elif when == "late in start-up":  # among the services starting and the workers joining their group
        eventually(lambda: (up.proc.log_path.parent / "logs" / "write.log").exists(), timeout_s=UP_TIMEOUT_S)
        moment = rng.uniform(0, 3)
    else:
        eventually(lambda: UP in up.console() or not up.proc.alive(), timeout_s=UP_TIMEOUT_S)
        moment = rng.uniform(0, 1.5)
    time.sleep(moment)  # the random moment itself, not a wait for anything
    code = up.stop_with_sigterm(repeats=3)
    assert code == 0, f"seed {seed}, {when} + {moment:.3f} s: exited {code}\n{up.console()}"
    assert up.children() == [], f"seed {seed}, {when} + {moment:.3f} s: left running\n{up.console()}"
