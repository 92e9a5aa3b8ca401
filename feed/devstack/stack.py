"""The local stack behind `feed up`, `feed bench` and the integration tests.

Starts what is not configured (a Tansu broker unless FEED_KAFKA_BOOTSTRAP, a
redis-server unless FEED_REDIS_URL), then the write and read services and the
fan-out workers as child processes, prints every address, and on exit stops
everything it started, services first so no call is cut mid-way. A full stack
(`feed up --full`) runs the engines of production instead: Apache Kafka for
Tansu and Apache Cassandra for the SQLite file, each started from its Maven jars.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from feed.access.tokens import SYMMETRIC, AuthKeys, ensure_local_secret, mint
from feed.config import Settings
from feed.devstack.cassandra import start_cassandra
from feed.devstack.kafka import start_kafka
from feed.devstack.local import start_redis, start_redis_cluster, start_tansu
from feed.devstack.procs import (
    ManagedProcess,
    start_feed,
    stop_all,
    wait_until_listening,
    wait_until_workers_own_partitions,
)
from feed.messaging.topics import ensure_topic
from feed.store.url import apply_schema

CHILD_POLL_S = 0.5
SERVICE_GRACE_S = 15.0  # the servers drain in-flight calls for up to 10 s
WORKER_GRACE_S = 60.0
READY_TIMEOUT_S = 90  # group joins on a fresh broker take a few seconds per rebalance
LISTEN_TIMEOUT_S = 60  # a service imports, connects to Redis, the store and the broker, then binds
FULL_KEYSPACE = "feed"
ONE_NODE_REPLICATION = "{'class': 'SimpleStrategy', 'replication_factor': 1}"  # one node holds every row


@dataclasses.dataclass
class Stack:
    """Processes of a running local stack, in the order they were started."""

    settings: Settings
    processes: list[ManagedProcess]

    @property
    def keys(self) -> AuthKeys:
        """The keys the stack's services verify tokens with (and local tools mint them with)."""
        return AuthKeys.from_settings(self.settings)

    def stop(self) -> dict[str, int]:
        """Stop the services first (no new writes), then the workers (they drain and
        commit), then Redis and the broker; return each process's exit code."""

        def tier(proc: ManagedProcess) -> int:
            if proc.name.endswith("service"):
                return 0
            return 1 if proc.name.startswith("fan-out") or proc.name == "outbox relay" else 2

        # Workers get longer: a batch under a backlog may take a while to finish and commit.
        return {
            proc.name: proc.stop(WORKER_GRACE_S if tier(proc) == 1 else SERVICE_GRACE_S)
            for proc in sorted(self.processes, key=tier)
        }

    def dead(self) -> list[ManagedProcess]:
        return [p for p in self.processes if not p.alive()]

    def process(self, name: str) -> ManagedProcess:
        """The process started under name ("write service", "fan-out worker 1", ...)."""
        return next(p for p in self.processes if p.name == name)


def start_stack(
    settings: Settings, data_dir: Path, workers: int = 2, redis_masters: int = 0, full: bool = False
) -> Stack:
    """Start dependencies as needed, then the services and workers; wait until they listen.

    full: Apache Kafka instead of Tansu, and Apache Cassandra (a keyspace `feed`, its schema
    applied) instead of the SQLite store, unless FEED_KAFKA_BOOTSTRAP or FEED_STORE name others."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if settings.jwt_algorithm in SYMMETRIC and not os.environ.get("FEED_JWT_SECRET"):
        ensure_local_secret(Path(settings.jwt_secret_file))  # a random secret of this machine's own
    processes: list[ManagedProcess] = []
    try:
        if not settings.kafka_bootstrap:
            proc, bootstrap = start_kafka(logs) if full else start_tansu(logs)
            processes.append(proc)
            settings = dataclasses.replace(settings, kafka_bootstrap=bootstrap)
        if full and not os.environ.get("FEED_STORE"):
            proc, contact_point = start_cassandra(logs)
            processes.append(proc)
            store_url = f"cassandra://{contact_point}/{FULL_KEYSPACE}"
            apply_schema(store_url, ONE_NODE_REPLICATION)
            settings = dataclasses.replace(settings, store_url=store_url)
        if not settings.redis_url:
            if redis_masters:
                nodes, url = start_redis_cluster(logs, redis_masters)
                processes += nodes
            else:
                proc, url = start_redis(logs)
                processes.append(proc)
            settings = dataclasses.replace(settings, redis_url=url)
        ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
        for role, addr in (("write", settings.write_addr), ("read", settings.read_addr)):
            proc = start_feed(f"{role} service", ["serve", role], logs / f"{role}.log", settings.env())
            processes.append(proc)
            wait_until_listening(addr, LISTEN_TIMEOUT_S, proc)
        # The relay publishes what the write service records; it may start before anything is.
        processes.append(start_feed("outbox relay", ["relay"], logs / "relay.log", settings.env()))
        for n in range(1, workers + 1):
            processes.append(start_feed(f"fan-out worker {n}", ["worker"], logs / f"worker-{n}.log", settings.env()))
        workers_started = [p for p in processes if p.name.startswith("fan-out")]
        wait_until_workers_own_partitions(workers_started, settings.events_partitions, READY_TIMEOUT_S)
    except BaseException:
        stop_all(processes)
        raise
    return Stack(settings, processes)


def describe(stack: Stack) -> str:
    s = stack.settings
    lines = [
        "feed stack is up:",
        f"  write service (PostService, GraphService)  grpc://{s.write_addr}  (events via the outbox relay)",
        f"  read service (FeedService)                 grpc://{s.read_addr}",
        f"  kafka bootstrap                            {s.kafka_bootstrap}  (topic {s.events_topic})",
        f"  redis                                      {s.redis_url}",
        f"  durable store                              {s.store_url}",
    ]
    for p in stack.processes:
        metrics = f", metrics {p.metrics_url}" if p.metrics_url else ""
        lines.append(f"  {p.name:<43}pid {p.pid}{metrics}, log {p.log_path}")
    lines.append("Every call needs `authorization: Bearer <token>`; `feed token USER_ID` mints one.")
    lines.append(f"A token for demo user 1 (valid 24 h): {mint(stack.keys, 1, ttl_s=86_400)}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)
