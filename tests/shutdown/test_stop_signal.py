"""The stop flag of every process: a stop signal lands safely at any moment, however often it comes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from feed.devstack.procs import ManagedProcess
from feed.shutdown import StopSignal

HANG_LIMIT_S = 20  # a run that takes this long is stuck: the test fails instead of hanging pytest

# The real handler (feed.shutdown.stop_event) is also routed to SIGALRM, which an interval
# timer raises every millisecond while the main thread sits in stop.wait(): a storm of
# signals, each landing wherever the main thread happens to be in wait(), then silence.
SIGNAL_STORM = textwrap.dedent(
    """
    import signal, time
    from feed.shutdown import stop_event

    stop = stop_event()
    signal.signal(signal.SIGALRM, signal.getsignal(signal.SIGTERM))
    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
    storm_ends = time.monotonic() + 1.5
    while time.monotonic() < storm_ends:
        stop.wait(0.0005)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("stopped" if stop.wait(1) else "not stopped", flush=True)
    """
)


def test_a_stop_signal_arriving_again_and_again_while_the_main_thread_waits_neither_hangs_nor_crashes():
    run = subprocess.run(
        [sys.executable, "-c", SIGNAL_STORM], capture_output=True, text=True, timeout=HANG_LIMIT_S, check=False
    )
    assert (run.returncode, run.stdout.strip()) == (0, "stopped"), run.stderr[-2000:]


def test_a_stop_signal_wakes_a_main_thread_that_waits_without_a_timeout():
    script = "from feed.shutdown import stop_event\nstop = stop_event()\nprint('waiting', flush=True)\n"
    script += "print('stopped' if stop.wait() else 'woke unset', flush=True)\n"
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "waiting"
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=HANG_LIMIT_S)
    finally:
        child.kill()
    assert (child.returncode, out.strip()) == (0, "stopped")


def test_set_wakes_every_waiting_thread_and_every_later_wait_returns_at_once():
    stop = StopSignal()
    woke: list[bool] = []
    waiters = [threading.Thread(target=lambda: woke.append(stop.wait(HANG_LIMIT_S))) for _ in range(4)]
    for waiter in waiters:
        waiter.start()
    stop.set()
    for waiter in waiters:
        waiter.join(HANG_LIMIT_S)
    assert woke == [True] * 4
    started = time.monotonic()
    assert stop.wait(HANG_LIMIT_S) and stop.is_set()
    assert time.monotonic() - started < 1


def test_wait_returns_false_once_its_timeout_passes_unset():
    stop = StopSignal()
    started = time.monotonic()
    assert stop.wait(0.05) is False
    assert 0.04 <= time.monotonic() - started < 5
    assert stop.wait(-1) is False and not stop.is_set()


def test_a_feed_child_signalled_before_its_handler_exists_still_stops_cleanly(tmp_path: Path):
    # The child takes a while before it installs its handler, as an import-heavy command
    # does; the SIGTERM comes at once, in that window, and must reach the handler.
    script = "import time; time.sleep(0.5)\nfrom feed.shutdown import stop_event\n"
    script += "raise SystemExit(0 if stop_event().wait(5) else 3)\n"
    held = ManagedProcess("late handler", [sys.executable, "-c", script], tmp_path / "late.log", hold_signals=True)
    held.signal(signal.SIGTERM)
    assert held.proc.wait(HANG_LIMIT_S) == 0, held.tail()
    held.stop()
