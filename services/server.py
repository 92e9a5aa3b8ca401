"""Build and run a gRPC server with the health and reflection services; stop with a grace period.

Every call of our services goes through the ObservabilityInterceptor (request
id, RED metrics, and a span when OTEL_* turns tracing on: feed.telemetry.tracing).
gRPC health follows readiness: the whole server ("") and each
service report NOT_SERVING while a dependency does not answer, so load
balancers route around a replica that can only fail calls, and SERVING again
once it answers. The name "liveness" stays SERVING as long as the process
runs: that is what liveness probes ask.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from feed.access.tokens import AuthKeys, Principal
from feed.config import Settings
from feed.health.readiness import ReadinessChecker
from feed.shutdown import Stop
from feed.store import Store
from feed.telemetry import metrics, tracing
from services.auth import AuthInterceptor
from services.interceptors import ObservabilityInterceptor

log = logging.getLogger("feed.server")
# Health name for liveness probes: SERVING while the process runs, whatever its dependencies
# do, so an orchestrator restarts a hung process but not every replica during a Redis outage.
LIVENESS = "liveness"
MAX_MESSAGE_BYTES = 1 << 20  # requests are small; a larger one is refused by gRPC itself
GRACE_S = 10.0


def build_server(
    addr: str,
    register: list[Callable[[grpc.Server], None]],
    service_names: list[str],
    keys: AuthKeys,
    workers: int = 16,
    on_caller: Callable[[Principal], None] | None = None,
    inner: Sequence[grpc.ServerInterceptor] = (),
) -> tuple[grpc.Server, health.HealthServicer, int]:
    """A server with our services, health (per service and overall) and reflection; returns the bound port.

    on_caller runs for every authenticated call before the servicer (binding the caller to
    their organization). inner are interceptors of the caller's, run after authentication
    (the trace recorder, injected by `feed serve`: the services never import the load tools)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=workers * 64,  # bounded queue: beyond it callers get RESOURCE_EXHAUSTED
        # Observability first (outermost), so calls refused for their token are counted too;
        # inner ones (a trace recorder) see only calls that passed authentication, never metadata.
        interceptors=[
            ObservabilityInterceptor(service_names),
            AuthInterceptor(keys, service_names, on_caller),
            *inner,
        ],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    for add in register:
        add(server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(addr)
    if port == 0:
        raise RuntimeError(f"could not bind {addr}")
    return server, health_servicer, port


class ExtraServer(Protocol):
    """Another server in the same process (the read process's stream server), started after
    the main one and stopped before it."""

    def start(self, readiness: ReadinessChecker | None) -> None: ...
    def stop(self) -> None: ...


def serve(
    server: grpc.Server,
    health_servicer: health.HealthServicer,
    service_names: list[str],
    stop: Stop,
    readiness: ReadinessChecker | None = None,
    extra: ExtraServer | None = None,
) -> None:
    """Start, report health (SERVING, or as readiness says), wait for stop, report
    NOT_SERVING, drain in-flight calls, return."""

    def report(ready: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *service_names]:
            health_servicer.set(name, status)  # ignored once graceful shutdown has begun
        log.log(logging.INFO if ready else logging.WARNING, "health %s", "SERVING" if ready else "NOT_SERVING")

    health_servicer.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
    if readiness is None:
        report(True)
    else:
        readiness.add_listener(report)  # reports the current state at once, then every change
    server.start()
    if extra is not None:
        extra.start(readiness)
    stop.wait()
    health_servicer.enter_graceful_shutdown()  # load balancers stop sending new calls
    stopped = server.stop(GRACE_S)
    if extra is not None:
        extra.stop()  # its own graceful stop, while the main server drains
    stopped.wait()
    log.info("server stopped")


@dataclasses.dataclass
class Wiring:
    """What a service hands run_service: its servicers' registrations, the check of every
    authenticated caller, and what to close after the server stopped (before the store)."""

    register: list[Callable[[grpc.Server], None]]
    on_caller: Callable[[Principal], None] | None = None
    close: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    # Another server of the process, built from the keys and the caller's inner interceptors.
    extra: Callable[[AuthKeys, Sequence[grpc.ServerInterceptor]], ExtraServer] | None = None


def run_service(
    settings: Settings,
    stop: Stop,
    *,
    role: str,
    addr: str,
    service_names: list[str],
    kafka: bool,
    wire: Callable[[Store], Wiring],
    inner: Sequence[grpc.ServerInterceptor] = (),
) -> int:
    """The life of one service process: open the store, report readiness and metrics, wire
    the servicers, serve until stop, then close everything in reverse order; returns 0."""
    from feed.health.probes import start_readiness
    from feed.store import open_store

    tracing.configure(f"{role}-service")  # before the store and the servers: they look at tracing.enabled()
    keys = AuthKeys.from_settings(settings)  # a key it cannot use stops the process before it serves
    store = open_store(settings.store_url)
    readiness = start_readiness(settings, store, kafka=kafka)
    metrics.start_metrics_server(settings.metrics_addr, readiness.status)
    wiring = wire(store)
    server, health_servicer, port = build_server(
        addr, wiring.register, service_names, keys, settings.rpc_threads, wiring.on_caller, inner=inner
    )
    logging.getLogger(f"feed.{role}").info(f"{role} service listening", extra={"addr": addr, "port": port})
    extra = None if wiring.extra is None else wiring.extra(keys, inner)
    try:
        serve(server, health_servicer, service_names, stop, readiness, extra)
    finally:
        readiness.stop()
        for close in wiring.close:
            close()
        store.close()
    return 0
