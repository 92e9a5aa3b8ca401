"""CPU time of processes, read from /proc: what a figure per call is divided from.

A wall-clock rate on a shared two-core machine measures the neighbours as much as
the process; the user + system time the process itself spent does not, so figures
taken at different moments (or of different servers) compare.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def cpu_s(pid: int, proc: Path = PROC) -> float:
    """CPU seconds (user + system) a process has used so far; proc is /proc except in tests."""
    # rsplit on the last ")": the command name in (...) may itself hold spaces and parentheses.
    fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def total_cpu_s(pids: Iterable[int], proc: Path = PROC) -> float:
    """CPU seconds of several processes together (the replicas of one service)."""
    return sum(cpu_s(pid, proc) for pid in pids)


def us_per_call(cpu_seconds: float, calls: int) -> float:
    """Microseconds of CPU per call; 0.0 when no call was made (nothing to divide by, nothing served)."""
    return round(cpu_seconds * 1_000_000 / calls, 1) if calls > 0 else 0.0
