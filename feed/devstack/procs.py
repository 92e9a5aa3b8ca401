"""Child processes for the local stack, the benchmark and the tests: start, wait, stop.

The one launcher: every child is started in its own process group and stopped with
SIGTERM, then SIGKILL after a grace period, so nothing outlives the parent that
started it; again() starts a new one the same way, for the supervisor. The waits
are on conditions with a deadline, never on a fixed sleep: until a port accepts
connections, and until fan-out workers own the topic's partitions.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from feed.shutdown import Stop, signals_held
from feed.telemetry.scrape import scrape, value

POLL_S = 0.05
ASSIGNED_PARTITIONS = "feed_fanout_assigned_partitions"  # the gauge each fan-out worker exports


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago, outside the kernel's ephemeral range.

    A port the kernel hands out for binding to 0 is one it also hands to outgoing
    connections: between our reading it and the child binding it, a client socket (or a
    readiness probe connecting to itself: TCP simultaneous open) may take it, and the
    child fails to bind. Below the ephemeral range only listeners choose ports, and this
    process never hands out the same one twice."""
    low = min(_ephemeral_low(), 65_536)
    candidates = range(_LISTEN_PORTS_FROM, low) if low - _LISTEN_PORTS_FROM >= 1_000 else range(0)
    for _ in range(200):
        port = _random.choice(candidates) if candidates else 0
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            port = sock.getsockname()[1]
        _handed_out.add(port)
        return port
    raise OSError(f"no free port on {host}")


_LISTEN_PORTS_FROM = 10_000
_handed_out: set[int] = set()  # bounded by the ports below the ephemeral range
_random = random.SystemRandom()


def _ephemeral_low() -> int:
    """The lowest port the kernel gives outgoing connections (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


class Stopped(Exception):
    """A wait given up because the stop signal came first."""


class ManagedProcess:
    """A named child process whose output goes to a log file.

    hold_signals: start it with SIGTERM and SIGINT blocked, for a `feed` child, whose
    stop_event() unblocks them once its handler is in place; a stop sent during its
    start-up then stops it cleanly instead of killing it. Never for other programs:
    they would keep the signals blocked for ever."""

    def __init__(
        self,
        name: str,
        args: list[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        hold_signals: bool = False,
    ) -> None:
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = env or {}
        self.hold_signals = hold_signals
        self.metrics_url = ""  # http://HOST:PORT/metrics when the process serves metrics
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        with signals_held() if hold_signals else contextlib.nullcontext():
            self.proc = subprocess.Popen(
                args,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,  # Ctrl-C in a terminal reaches only the parent, which stops us in order
            )

    def again(self) -> ManagedProcess:
        """A new process started like this one: same name, command, environment and log,
        so on the same addresses (a restart)."""
        proc = ManagedProcess(self.name, self.args, self.log_path, self.env, self.hold_signals)
        proc.metrics_url = self.metrics_url
        return proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, grace_s: float = 10.0) -> int:
        """SIGTERM, wait up to grace_s, then SIGKILL; return the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def tail(self, lines: int = 30) -> str:
        """The last lines of the log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def exited(self) -> RuntimeError:
        """The error to raise for a child that exited early: its name, exit code and log tail."""
        return RuntimeError(f"{self.name} exited with {self.proc.returncode}; {self.log_path}:\n{self.tail()}")


def start_feed(name: str, args: list[str], log_path: Path, env: dict[str, str]) -> ManagedProcess:
    """A `feed ARGS...` child (a service or a worker) on env, with a /metrics endpoint of its own."""
    metrics_addr = f"127.0.0.1:{free_port()}"
    args = [sys.executable, "-m", "feed.cli", *args]
    proc = ManagedProcess(name, args, log_path, {**env, "FEED_METRICS_ADDR": metrics_addr}, hold_signals=True)
    proc.metrics_url = f"http://{metrics_addr}/metrics"
    return proc


def stop_all(processes: Iterable[ManagedProcess]) -> None:
    """Stop every process, last started first (what came later may depend on what came before)."""
    for proc in reversed(list(processes)):
        proc.stop()


def pause(seconds: float, stop: Stop | None) -> None:
    """Sleep between two polls; raise Stopped if stop is set meanwhile."""
    if stop is None:
        time.sleep(seconds)
    elif stop.wait(seconds):
        raise Stopped()


def wait_until_listening(
    addr: str, timeout_s: float, proc: ManagedProcess | None = None, stop: Stop | None = None
) -> None:
    """Block until something accepts connections on HOST:PORT; raise if proc exits first, time
    runs out, or stop is set (Stopped)."""
    host, _, port = addr.rpartition(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise proc.exited()
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.2) as sock:
            if sock.getsockname() != sock.getpeername():  # not a socket connected to itself
                return
        pause(POLL_S, stop)
    raise TimeoutError(f"nothing listening on {addr} after {timeout_s}s")


def start_listening(
    name: str, args: list[str], log_path: Path, addr: str, timeout_s: float, env: dict[str, str] | None = None
) -> ManagedProcess:
    """Start a child and wait until it listens on addr; stopped again if it does not."""
    proc = ManagedProcess(name, args, log_path, env)
    try:
        wait_until_listening(addr, timeout_s, proc)
    except BaseException:
        proc.stop()
        raise
    return proc


def wait_until_workers_own_partitions(
    workers: list[ManagedProcess], partitions: int, timeout_s: float, stop: Stop | None = None
) -> None:
    """Block until the consumer group has settled: together the workers own every partition, and
    each owns some (unless there are more workers than partitions). Until then a rebalance may
    still pause consumption for seconds. Raise if a worker exits, time runs out, or stop is set."""
    deadline = time.monotonic() + timeout_s
    owned: list[float] = []
    while time.monotonic() < deadline:
        owned = []
        for proc in workers:
            if not proc.alive():
                raise proc.exited()
            with contextlib.suppress(OSError):  # its metrics endpoint is not listening yet
                owned.append(value(scrape(proc.metrics_url), ASSIGNED_PARTITIONS))
        settled = len(owned) == len(workers) and sum(owned) == partitions
        if settled and (len(workers) > partitions or all(n > 0 for n in owned)):
            return
        pause(POLL_S * 4, stop)
    raise TimeoutError(f"workers own {owned} of {partitions} partitions after {timeout_s}s")
