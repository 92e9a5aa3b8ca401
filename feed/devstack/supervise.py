"""Keep a local stack running: a child that exits while nobody asked it to is started again.

Used by `feed up` (and by anything else that runs a Stack for a while, e.g. `feed bench`).
Each restart waits longer than the last (RESTART_FIRST_S doubling up to RESTART_MAX_S), so
a child that cannot start does not spin; a child that stayed up RESTART_RESET_S counts as
healthy again. One console line per exit and per restart. Only the stop signal ends it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from feed.devstack.procs import ManagedProcess
from feed.devstack.stack import Stack
from feed.shutdown import Stop

POLL_S = 0.2  # how soon an exit is noticed
RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
RESTART_RESET_S = 60.0  # up this long: the next exit waits RESTART_FIRST_S again


def restart_delay(failures: int) -> float:
    """Seconds to wait before the restart that follows `failures` recent exits (0: the first)."""
    return min(RESTART_FIRST_S * 2 ** min(failures, 16), RESTART_MAX_S)


@dataclasses.dataclass
class _Track:
    """One child's restart history."""

    started_at: float
    failures: int = 0  # exits since it last stayed up RESTART_RESET_S
    restart_at: float | None = None  # when the pending restart is due; None: it is running


class Supervisor:
    """Watches the children of a Stack that have a restart recipe, and restarts those that exit."""

    def __init__(self, stack: Stack, say: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self.stack = stack
        self.say = say
        self.clock = clock
        self.tracks: dict[str, _Track] = {}

    def run(self, stop: Stop) -> None:
        """Check the children until stop is set."""
        while not stop.wait(POLL_S):
            self.check()

    def check(self) -> None:
        """One round: notice exits, schedule their restarts, start the restarts that are due."""
        now = self.clock()
        for index, proc in enumerate(self.stack.processes):
            restart = self.stack.child(proc.name).restart
            if restart is None:
                continue
            track = self.tracks.setdefault(proc.name, _Track(started_at=now))
            if proc.alive():
                continue
            if track.restart_at is None:
                self._schedule(track, now, f"{proc.name} exited with {proc.proc.returncode}")
            elif now >= track.restart_at:
                self._restart(index, restart, track)

    def _schedule(self, track: _Track, now: float, what: str) -> None:
        if now - track.started_at >= RESTART_RESET_S:
            track.failures = 0
        delay = restart_delay(track.failures)
        track.failures += 1
        track.restart_at = now + delay
        self.say(f"{what}; restarting in {delay:g} s")

    def _restart(self, index: int, restart: Callable[[], ManagedProcess], track: _Track) -> None:
        old = self.stack.processes[index]
        try:
            new = restart()
        except Exception as exc:  # report and keep trying: the stack serves on without it meanwhile
            track.started_at = self.clock()  # a failed start is no time up: the waits keep growing
            self._schedule(track, track.started_at, f"{old.name} did not start again ({exc})")
            return
        old.stop(0)  # exited already: this closes its log handle
        self.stack.processes[index] = new  # the stack stops the new one on Ctrl-C
        track.restart_at, track.started_at = None, self.clock()
        self.say(f"{new.name} restarted, pid {new.pid}")
