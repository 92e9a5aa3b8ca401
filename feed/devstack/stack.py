"""The local stack behind `feed up`, `feed bench` and the integration tests.

Starts what is not configured (a Tansu broker unless FEED_KAFKA_BOOTSTRAP, a
redis-server unless FEED_REDIS_URL), then the write and read services and the
fan-out workers as child processes, prints every address, and on exit stops
everything it started, services first so no call is cut mid-way. Each child is
recorded by name with its Child: how to start it again (the supervisor restarts
children that exit, see feed.devstack.supervise) and when and how long to stop it;
a new child is one `launch(...)` line in start_stack. A full stack
(`feed up --full`) runs the engines of production instead: Apache Kafka for
Tansu and Apache Cassandra for the SQLite file, each started from its Maven jars.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from feed.access.tokens import SYMMETRIC, AuthKeys, ensure_local_secret, mint
from feed.config import Settings
from feed.devstack.cassandra import start_cassandra
from feed.devstack.kafka import start_kafka
from feed.devstack.local import start_redis, start_redis_cluster, start_tansu
from feed.devstack.procs import (
    POLL_S,
    ManagedProcess,
    pause,
    start_feed,
    wait_until_listening,
    wait_until_workers_own_partitions,
)
from feed.messaging.topics import ensure_topic
from feed.shutdown import Stop
from feed.store.url import apply_schema
from feed.web import PID_HEADER

SERVICE_GRACE_S = 15.0  # the servers drain in-flight calls for up to 10 s
WORKER_GRACE_S = 60.0
READY_TIMEOUT_S = 90  # group joins on a fresh broker take a few seconds per rebalance
LISTEN_TIMEOUT_S = 60  # a service imports, connects to Redis, the store and the broker, then binds
FULL_KEYSPACE = "feed"
ONE_NODE_REPLICATION = "{'class': 'SimpleStrategy', 'replication_factor': 1}"  # one node holds every row
BROKER_READY_TIMEOUT_S = 30  # a restarted broker answers and has the events topic again
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via an HTTP proxy


Restart = Callable[[], ManagedProcess]  # starts a child again on the same addresses


@dataclasses.dataclass(frozen=True)
class Child:
    """What the stack knows of one of its children beyond the running process."""

    restart: Restart | None  # None: never restarted
    stop_rank: int  # lower stops first: services, workers, then what they depend on
    grace_s: float  # how long it may take to stop before SIGKILL
    broker_client: bool = False  # a Kafka client: restarted when the broker is


SERVICE, WORKER, RELAY, DEPENDENCY = 0, 1, 2, 3  # stop ranks: who stops before whom

UNKNOWN = Child(restart=None, stop_rank=DEPENDENCY, grace_s=SERVICE_GRACE_S)  # a process added by hand (tests)


@dataclasses.dataclass
class Stack:
    """Processes of a running local stack, in the order they were started, and each one's Child by name."""

    settings: Settings
    processes: list[ManagedProcess]
    children: dict[str, Child] = dataclasses.field(default_factory=dict)

    @property
    def keys(self) -> AuthKeys:
        """The keys the stack's services verify tokens with (and local tools mint them with)."""
        return AuthKeys.from_settings(self.settings)

    def child(self, name: str) -> Child:
        return self.children.get(name, UNKNOWN)

    def stop(self) -> dict[str, int]:
        """Stop the services first (no new writes), then the workers (they drain and commit),
        then the dependencies, last started first (Redis, then the broker); return each
        process's exit code."""
        last_first = list(reversed(self.processes))
        in_order = sorted(last_first, key=lambda proc: self.child(proc.name).stop_rank)
        return {proc.name: proc.stop(self.child(proc.name).grace_s) for proc in in_order}

    def process(self, name: str) -> ManagedProcess:
        """The process started under name ("write service", "fan-out worker 1", ...)."""
        return next(p for p in self.processes if p.name == name)


def start_stack(
    settings: Settings,
    data_dir: Path,
    workers: int = 2,
    redis_masters: int = 0,
    full: bool = False,
    stop: Stop | None = None,
    web: bool = False,
) -> Stack:
    """Start dependencies as needed, then the services and workers; wait until they listen.

    full: Apache Kafka instead of Tansu, and Apache Cassandra (a keyspace `feed`, its schema
    applied) instead of the SQLite store, unless FEED_KAFKA_BOOTSTRAP or FEED_STORE name others.
    stop: give up the waits once it is set, stop what started and raise Stopped.
    web: also the browser gateway (`feed serve web`) on settings.web_addr, in front of the services."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if settings.jwt_algorithm in SYMMETRIC and not os.environ.get("FEED_JWT_SECRET"):
        ensure_local_secret(Path(settings.jwt_secret_file))  # a random secret of this machine's own
    stack = Stack(settings, [])

    def launch(
        proc: ManagedProcess,
        stop_rank: int,
        grace_s: float = SERVICE_GRACE_S,
        restart: Restart | None = None,
        broker_client: bool = False,
    ) -> None:
        """Record a started child; restarted like it started unless restart says otherwise."""
        stack.processes.append(proc)
        stack.children[proc.name] = Child(restart or proc.again, stop_rank, grace_s, broker_client)

    try:
        if not settings.kafka_bootstrap:
            proc, bootstrap = start_kafka(logs) if full else start_tansu(logs)
            launch(proc, DEPENDENCY, restart=lambda old=proc: restart_broker(old, stack))
            settings = dataclasses.replace(settings, kafka_bootstrap=bootstrap)
        if full and not os.environ.get("FEED_STORE"):
            proc, contact_point = start_cassandra(logs)
            launch(proc, DEPENDENCY)
            store_url = f"cassandra://{contact_point}/{FULL_KEYSPACE}"
            apply_schema(store_url, ONE_NODE_REPLICATION)
            settings = dataclasses.replace(settings, store_url=store_url)
        if not settings.redis_url:
            nodes, url = start_redis_cluster(logs, redis_masters) if redis_masters else _one(start_redis(logs))
            for node in nodes:
                launch(node, DEPENDENCY)
            settings = dataclasses.replace(settings, redis_url=url)
        stack.settings = settings
        ensure_topic(settings.kafka_bootstrap, settings.events_topic, settings.events_partitions)
        env = settings.env()
        for role, addr in (("write", settings.write_addr), ("read", settings.read_addr)):
            proc = start_feed(f"{role} service", ["serve", role], logs / f"{role}.log", env)
            launch(proc, SERVICE)  # the write service records events; only the relay talks to the broker
            wait_until_listening(addr, LISTEN_TIMEOUT_S, proc, stop)
            if role == "read":  # its stream server starts after the unary one
                wait_until_listening(settings.stream_addr, LISTEN_TIMEOUT_S, proc, stop)
        if web:  # after the services: it forwards to them (and would answer UNAVAILABLE until they listen)
            launch(start_gateway(settings, logs, stop), SERVICE)
        # The relay publishes what the write service records; it may start before anything is.
        launch(start_feed("outbox relay", ["relay"], logs / "relay.log", env), RELAY, broker_client=True)
        for n in range(1, workers + 1):
            # Workers get longer to stop: a batch under a backlog may take a while to finish and commit.
            proc = start_feed(f"fan-out worker {n}", ["worker"], logs / f"worker-{n}.log", env)
            launch(proc, WORKER, WORKER_GRACE_S, broker_client=True)
        workers_started = [p for p in stack.processes if stack.child(p.name).stop_rank == WORKER]
        wait_until_workers_own_partitions(workers_started, settings.events_partitions, READY_TIMEOUT_S, stop)
    except BaseException:
        stack.stop()
        raise
    return stack


def start_gateway(settings: Settings, logs: Path, stop: Stop | None = None) -> ManagedProcess:
    """`feed serve web` on settings.web_addr; returns once it serves, raises (and stops it) if it cannot."""
    proc = start_feed("web gateway", ["serve", "web"], logs / "web.log", settings.env())
    try:
        _wait_until_gateway_serves(proc, settings.web_addr, stop)
    except BaseException:
        proc.stop()
        raise
    return proc


def _wait_until_gateway_serves(proc: ManagedProcess, addr: str, stop: Stop | None) -> None:
    """Until proc itself answers GET /healthz: something else on its port answers too (the gateway
    then exits, unable to bind), so the answer must name proc's pid, and proc must still run."""
    deadline = time.monotonic() + LISTEN_TIMEOUT_S
    while time.monotonic() < deadline:
        if not proc.alive():
            raise proc.exited()
        url = f"http://{addr}/healthz"
        with (
            contextlib.suppress(OSError, ValueError, http.client.HTTPException),
            _DIRECT.open(url, timeout=1) as answer,
        ):
            if answer.status == 200 and answer.headers.get(PID_HEADER) == str(proc.pid):
                return
        pause(POLL_S, stop)
    raise TimeoutError(f"the web gateway did not answer on {addr} after {LISTEN_TIMEOUT_S}s")


def _one(started: tuple[ManagedProcess, str]) -> tuple[list[ManagedProcess], str]:
    return [started[0]], started[1]


def restart_broker(old: ManagedProcess, stack: Stack) -> ManagedProcess:
    """Start the broker again on its address and make sure the events topic is back
    (Tansu keeps nothing on disk); stopped again if it does not come up.

    Then stop the broker's clients, which the supervisor starts again: a Kafka client
    does not recover from a broker that forgot it (the write service's producer
    times out on every publish until it is restarted)."""
    s = stack.settings
    proc = old.again()
    try:
        wait_until_listening(s.kafka_bootstrap, BROKER_READY_TIMEOUT_S, proc)
        ensure_topic(s.kafka_bootstrap, s.events_topic, s.events_partitions, BROKER_READY_TIMEOUT_S)
    except BaseException:
        proc.stop()
        raise
    for client in stack.processes:
        if stack.child(client.name).broker_client:
            client.signal(signal.SIGTERM)
    return proc


def describe(stack: Stack) -> str:
    s = stack.settings
    lines = [
        "feed stack is up:",
        f"  write service (PostService, GraphService)  grpc://{s.write_addr}  (events via the outbox relay)",
        f"  read service (FeedService)                 grpc://{s.read_addr}",
        f"  read service streams (WatchHomeTimeline)   grpc://{s.stream_addr}  (and every FeedService method)",
    ]
    if any(p.name == "web gateway" for p in stack.processes):
        lines.append(f"  browsers, curl (Connect, gRPC-Web)         http://{s.web_addr}/")
    lines += [
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
