"""SIGTERM for the benchmark tools: unwind like Ctrl-C, so that every process a run started is stopped on the
way out (the `finally` blocks that stop its stack), then exit 0, as every process of ours does on SIGTERM.

A run's figures are lost either way; what must not be lost is the machine: a killed tool used to leave its
broker, Redis, services and workers running, loading the next run's cores."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM; a KeyboardInterrupt, so it unwinds whatever Ctrl-C unwinds."""


def _raise(signum: int, frame: object) -> None:
    raise Terminated


def main_stopping_on_sigterm(main: Callable[[], int], name: str) -> int:
    """main()'s exit code; 0, after a line on stderr, when SIGTERM stopped it (its finally blocks have run)."""
    signal.signal(signal.SIGTERM, _raise)
    try:
        return main()
    except Terminated:
        print(f"{name}: stopped by SIGTERM; every process it started is stopped", file=sys.stderr)
        return 0
