"""The metrics port: /metrics for Prometheus and /healthz for probes, one small WSGI server.

prometheus_client's own server answers every path with the metrics. We want a
readiness answer on the same port, because the fan-out worker has no gRPC
server to carry health checks: /healthz answers 200 while every dependency
answered its last check and 503 (with which one is down) otherwise. Any other
path still answers the metrics, as before.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app

from feed.errors import InvalidArgument

# () -> (ready, {dependency: up}); None: the process has no readiness checks, so it is ready while it runs.
HealthSource = Callable[[], tuple[bool, dict[str, bool]]]
HEALTH_PATH = "/healthz"


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: scrapes and probes every few seconds would drown the JSON logs."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up process exit


def make_app(health: HealthSource | None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app: /healthz from health, everything else from the default registry."""
    metrics_app = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != HEALTH_PATH:
            return metrics_app(environ, start_response)
        ready, dependencies = health() if health else (True, {})
        body = json.dumps(
            {
                "status": "ok" if ready else "unavailable",
                "dependencies": {name: "up" if up else "down" for name, up in sorted(dependencies.items())},
            }
        ).encode()
        status = "200 OK" if ready else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def start_metrics_server(addr: str, health: HealthSource | None = None) -> int:
    """Serve /metrics and /healthz on HOST:PORT (port 0 picks one); return the port. Empty addr: no server."""
    if not addr:
        return 0
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidArgument(f"FEED_METRICS_ADDR must be HOST:PORT, got {addr!r}")
    host = host.strip("[]")  # [::]:9464

    class Server(_ThreadingServer):
        pass

    family, _, _, _, sockaddr = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    Server.address_family = family
    httpd = make_server(sockaddr[0], int(port), make_app(health), Server, handler_class=_QuietHandler)
    threading.Thread(target=httpd.serve_forever, name="metrics-http", daemon=True).start()
    return httpd.server_port
