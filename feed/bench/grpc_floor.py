"""The floor of a Python gRPC server: the cheapest one we found, answering every unary call empty.

    python -m feed.bench.grpc_floor HOST:PORT

Started by the bench as a child process, as the read service is, so its CPU time is
read from /proc the same way and the same load generator drives it at the same rate:
what a page costs above what this server costs per call is the read path's own.

Candidates measured once on this machine (docs/performance.md): a synchronous
grpc.server with a generic handler on raw bytes (no (de)serializer on the server)
and a pool of 1, 2, 4 or 16 threads, and grpc.aio with the same handler. The
synchronous server with a small pool was the cheapest (grpc.aio cost about 15%
more CPU a call and had the longer tail); pool sizes were within noise of each other.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc

WORKERS = 2  # handler threads: an empty handler never blocks, so more only adds hand-offs


def _empty(request: bytes, context: grpc.ServicerContext) -> bytes:
    return b""  # an empty message of any type: the client decodes it as its response's defaults


class AnyMethod(grpc.GenericRpcHandler):
    """Every method of every service, on raw bytes: the server parses no request, builds no response."""

    _handler = grpc.unary_unary_rpc_method_handler(_empty)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return self._handler


def serve(addr: str) -> None:
    """Serve on addr until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = grpc.server(ThreadPoolExecutor(max_workers=WORKERS), handlers=[AnyMethod()])
    server.add_insecure_port(addr)
    server.start()
    stop.wait()
    server.stop(0)


if __name__ == "__main__":
    serve(sys.argv[1])
