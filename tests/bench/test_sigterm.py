"""The benchmark tools under SIGTERM, as a CI job's timeout or an operator sends it: every process they started
(a whole stack: broker, Redis, services, workers) is stopped, and they exit 0."""

from __future__ import annotations

import signal
import sys
import uuid
from pathlib import Path

import pytest

from feed.devstack.procs import ManagedProcess
from tests.integration.stack import eventually, marked_processes

pytestmark = [pytest.mark.integration, pytest.mark.fault]

RUN_MARK = "FEED_BENCH_TEST_RUN"  # in the tool's environment, so in every process it starts


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # exited meanwhile
        return b""


# Each tool's arguments, and the process whose start shows it is at work: per_core's read service (its whole
# stack is up); the first process feed bench starts (its Redis, for the ceiling phase: the stack comes later, and
# per_core's case covers stopping one).
TOOLS = {
    "per_core": ("-m feed.bench.per_core --users 50 --followers 5 --posts 2 --read-seconds 60", b"serve"),
    "feed bench": ("-m feed.cli bench --quick", b""),
}


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_a_benchmark_tool_stopped_by_sigterm_stops_what_it_started_and_exits_0(tmp_path, name):
    mark = uuid.uuid4().hex
    args, at_work = TOOLS[name]
    data = ["--data-dir", str(tmp_path / "data")] if name == "feed bench" else []
    tool = ManagedProcess(name, [sys.executable, *args.split(), *data], tmp_path / "tool.log", {RUN_MARK: mark})
    try:
        eventually(
            lambda: any(at_work in cmdline(p) for p in marked_processes(RUN_MARK, mark, tool.pid)) or not tool.alive(),
            timeout_s=120,
            interval_s=0.2,
        )
        assert tool.alive(), tool.log_path.read_text(errors="replace")
        tool.signal(signal.SIGTERM)
        code = tool.proc.wait(60)
        assert code == 0, tool.log_path.read_text(errors="replace")[-3000:]
        eventually(lambda: marked_processes(RUN_MARK, mark, tool.pid) == [], timeout_s=10)
    finally:
        tool.stop(10)
