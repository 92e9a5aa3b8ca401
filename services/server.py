"""Build and run a gRPC server with the health and reflection services; stop with a grace period."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger("feed.server")
MAX_MESSAGE_BYTES = 1 << 20  # requests are small; a larger one is refused by gRPC itself
GRACE_S = 10.0


def build_server(
    addr: str, register: list[Callable[[grpc.Server], None]], service_names: list[str], workers: int = 16
) -> tuple[grpc.Server, health.HealthServicer, int]:
    """A server with our services, health (per service and overall) and reflection; returns the bound port."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=workers * 64,  # bounded queue: beyond it callers get RESOURCE_EXHAUSTED
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


def serve(
    server: grpc.Server, health_servicer: health.HealthServicer, service_names: list[str], stop: threading.Event
) -> None:
    """Start, report SERVING, wait for stop, report NOT_SERVING, drain in-flight calls, return."""
    server.start()
    for name in ["", *service_names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    stop.wait()
    health_servicer.enter_graceful_shutdown()  # load balancers stop sending new calls
    server.stop(GRACE_S).wait()
    log.info("server stopped")
