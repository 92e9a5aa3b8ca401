"""The processes of one benchmark run: redis-server, Tansu, one fan-out worker, the services, the relay.

The durable store is a SQLite file, or with store="cassandra" a one-node Apache
Cassandra the run starts (feed.devstack.cassandra) with the schema applied;
Tansu stays the broker either way, so only the store differs between the two.

Started the way `feed up` starts them (feed.devstack.local, `python -m feed.cli`
children configured by FEED_* variables), so the figures are those of the real
processes; stopped in reverse order on the way out, whatever happened. For the
read phase the read service may run as several replicas on the same machine,
each on its own port (clients balance round robin over them, as in front of any
stateless replicas): one Python process cannot use much more than one core.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from feed.access.tokens import ensure_local_secret
from feed.config import Settings
from feed.devstack.cassandra import start_cassandra
from feed.devstack.local import start_redis, start_tansu
from feed.devstack.procs import (
    ManagedProcess,
    free_port,
    start_feed,
    stop_all,
    wait_until_listening,
    wait_until_workers_own_partitions,
)
from feed.devstack.stack import FULL_KEYSPACE, ONE_NODE_REPLICATION
from feed.messaging.topics import ensure_topic
from feed.store.url import apply_schema

CELEBRITY_THRESHOLD = 1_000_000  # above every benchmark author: all of them are fanned out on write
JOIN_TIMEOUT_S = 90.0
LISTEN_TIMEOUT_S = 60.0
STORES = ("sqlite", "cassandra")


@dataclasses.dataclass
class BenchStack:
    """A running set of benchmark processes and the settings that reach them."""

    settings: Settings
    data_dir: Path
    processes: list[ManagedProcess] = dataclasses.field(default_factory=list)
    read_addrs: list[str] = dataclasses.field(default_factory=list)  # every read replica, once started

    def start_child(self, name: str, args: list[str], env: dict[str, str] | None = None) -> ManagedProcess:
        """A `feed` process with the run's settings (env overrides some) and a /metrics endpoint of its own."""
        log = self.data_dir / "logs" / f"{name.replace(' ', '-')}.log"
        proc = start_feed(name, args, log, {**self.settings.env(), **(env or {})})
        self.processes.append(proc)
        return proc

    def start_worker(self) -> ManagedProcess:
        """One fan-out worker; returns once it owns every partition of the topic."""
        worker = self.start_child("fan-out worker", ["worker"])
        wait_until_workers_own_partitions([worker], self.settings.events_partitions, JOIN_TIMEOUT_S)
        return worker

    def start_services(self) -> None:
        """The write service and one read service; returns once both listen."""
        self.read_addrs = [self.settings.read_addr]
        self._start_listening(
            [("write service", "write", self.settings.write_addr), ("read service", "read", self.settings.read_addr)]
        )
        self.start_child("outbox relay", ["relay"])  # publishes what the write service records

    def add_read_replicas(self, total: int) -> None:
        """More read services, each on its own port, until total run; returns once all listen."""
        extra = [f"127.0.0.1:{free_port()}" for _ in range(total - len(self.read_addrs))]
        first = len(self.read_addrs) + 1
        self._start_listening([(f"read service {n}", "read", addr) for n, addr in enumerate(extra, first)])
        self.read_addrs += extra

    def _start_listening(self, services: list[tuple[str, str, str]]) -> None:
        """Start (name, role, addr) services together, then wait until each listens."""
        started = [
            (self.start_child(name, ["serve", role], self._ports(role, addr)), addr) for name, role, addr in services
        ]
        for proc, addr in started:
            wait_until_listening(addr, LISTEN_TIMEOUT_S, proc)

    def _ports(self, role: str, addr: str) -> dict[str, str]:
        """A service's listen address; a read replica's stream server on a port of its own too."""
        if role != "read":
            return {f"FEED_{role.upper()}_ADDR": addr}
        stream = self.settings.stream_addr if addr == self.settings.read_addr else f"127.0.0.1:{free_port()}"
        return {"FEED_READ_ADDR": addr, "FEED_STREAM_ADDR": stream}

    def start_floor_servers(self, total: int, model: str = "sync") -> list[tuple[ManagedProcess, str]]:
        """Floor servers (feed.bench.grpc_floor) of one model, each on its own port, as the read replicas
        are; (process, address) of each once all listen. Stop them with stop_processes when done."""
        started = []
        for n in range(1, total + 1):
            addr = f"127.0.0.1:{free_port()}"
            args = [sys.executable, "-m", "feed.bench.grpc_floor", addr, "--model", model]
            log = self.data_dir / "logs" / f"grpc-floor-{model}-{n}.log"
            proc = ManagedProcess(f"grpc floor {model} {n}", args, log)
            self.processes.append(proc)
            started.append((proc, addr))
        for proc, addr in started:
            wait_until_listening(addr, LISTEN_TIMEOUT_S, proc)
        return started

    def stop_processes(self, processes: list[ManagedProcess]) -> None:
        """Stop some of the run's processes before the others (a phase's own servers)."""
        stop_all(processes)
        self.processes = [p for p in self.processes if p not in processes]

    def start_ceiling_redis(self) -> tuple[str, int]:
        """A second, empty redis-server started like the stack's, for the ceiling runs; its URL and port."""
        proc, url = start_redis(self.data_dir / "logs")
        proc.name = "redis (ceiling)"
        self.processes.append(proc)
        return url, int(url.rsplit(":", 1)[1].split("/")[0])

    def read_pids(self) -> list[int]:
        """The process ids of every read replica (their CPU is the read path's)."""
        return [p.pid for p in self.processes if p.name.startswith("read service")]

    def process(self, name: str) -> ManagedProcess:
        return next(p for p in self.processes if p.name == name)

    def stop(self) -> None:
        stop_all(self.processes)


def start_dependencies(data_dir: Path, store: str = "sqlite") -> BenchStack:
    """redis-server and Tansu (and Cassandra for that store) on free ports, the events topic
    created, the store's schema applied; services come later."""
    if store not in STORES:
        raise ValueError(f"store must be one of {STORES}, got {store!r}")
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes: list[ManagedProcess] = []
    try:
        store_url = f"sqlite:///{(data_dir / 'feed.db').resolve()}"
        if store == "cassandra":
            cassandra, contact_point = start_cassandra(logs)
            processes.append(cassandra)  # started first, so stopped last: every client is gone by then
            store_url = f"cassandra://{contact_point}/{FULL_KEYSPACE}"
            apply_schema(store_url, ONE_NODE_REPLICATION)
        redis_proc, redis_url = start_redis(logs)
        processes.append(redis_proc)
        tansu, bootstrap = start_tansu(logs)
        processes.append(tansu)
        settings = dataclasses.replace(
            Settings.from_env({}),
            kafka_bootstrap=bootstrap,
            redis_url=redis_url,
            store_url=store_url,
            write_addr=f"127.0.0.1:{free_port()}",
            read_addr=f"127.0.0.1:{free_port()}",
            stream_addr=f"127.0.0.1:{free_port()}",
            celebrity_threshold=CELEBRITY_THRESHOLD,
            jwt_secret_file=str((data_dir / "jwt.secret").resolve()),
        )
        ensure_local_secret(Path(settings.jwt_secret_file))  # the services verify tokens minted with it
        ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
    except BaseException:
        stop_all(processes)
        raise
    return BenchStack(settings, data_dir, processes)
