"""Graceful stop: SIGTERM and SIGINT set a flag that the main loop watches.

The flag is a StopSignal, not a threading.Event: a Python signal handler runs in the
main thread between two bytecodes, possibly while that thread is inside Event.wait()
holding the event's internal lock, and Event.set() would then wait for ever on a lock
its own thread holds. StopSignal's set() takes no lock: it sets an attribute and writes
a byte to a non-blocking self-pipe, and wait() polls the pipe's read end.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from collections.abc import Iterator
from typing import Protocol

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop(Protocol):
    """What a main loop needs of its stop flag (a StopSignal; a threading.Event in tests and tools)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def set(self) -> None: ...


class StopSignal:
    """A one-way flag that is safe to set from a signal handler: is_set(), wait(timeout), set()."""

    def __init__(self) -> None:
        self._set = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        """Raise the flag and wake every waiter; no lock, so a signal handler may call it at any moment."""
        self._set = True  # before the write: a waiter woken by the byte must see the flag
        with contextlib.suppress(BlockingIOError):  # a full pipe is readable already: every waiter wakes
            os.write(self._write, b"!")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set or timeout seconds pass; return whether it is set.

        The byte is never read back, so the pipe stays readable and every waiter, in
        every thread, wakes now and at once on any later wait. A signal landing during
        poll() runs its handler, which writes the byte, and poll() is retried (PEP 475).
        poll, not select: select fails on descriptors above 1023."""
        if self._set:
            return True
        poller = select.poll()
        poller.register(self._read, select.POLLIN)
        poller.poll(None if timeout is None else max(timeout, 0.0) * 1000)
        return self._set


def stop_event() -> StopSignal:
    """A StopSignal set by the first SIGTERM or SIGINT; the main loop finishes its work and exits 0.

    Also unblocks both signals: a parent that starts us with them blocked (ManagedProcess with
    hold_signals) gets a signal sent during our start-up delivered here, not lost to the default
    action that would kill us before this handler existed."""
    stop = StopSignal()

    def handle(signum, frame) -> None:
        stop.set()

    for signum in STOP_SIGNALS:
        signal.signal(signum, handle)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return stop


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGTERM and SIGINT in the calling thread for the block's duration.

    A child started inside inherits the blocked mask across exec, so a stop signal sent
    before it installed its handler waits, pending, until stop_event() unblocks it. One
    sent to us meanwhile is delivered when the block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
