"""Graceful stop: SIGTERM and SIGINT set an event that the main loop watches."""

from __future__ import annotations

import signal
import threading


def stop_event() -> threading.Event:
    """An event set by the first SIGTERM or SIGINT; the main loop finishes its work and exits 0."""
    event = threading.Event()

    def handle(signum, frame) -> None:
        event.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return event
