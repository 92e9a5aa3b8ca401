"""The floor of a Python gRPC server: the cheapest ones we found, answering every unary call empty.

    python -m feed.bench.grpc_floor HOST:PORT [--model sync|aio]

Started by the bench as a child process, as the read service is, so its CPU time is
read from /proc the same way and the same load generator drives it at the same rate:
what a page costs above what this server costs per call is the read path's own.

Two server models, both on raw bytes (a generic handler: no (de)serializer on the server):

- sync: grpc.server with a pool of 2 threads (pools of 1, 4 and 16 were within noise);
- aio: grpc.aio on uvloop, the handler a coroutine (no thread at all).

Which is cheaper depends on the load: driven by the Python load generator on a busy machine
the synchronous one was (grpc.aio on asyncio's own loop cost about 15% more), driven by the Go
one at 2,000 calls/s on a quiet machine grpc.aio on uvloop is (about 10% less, 5 December
2026). So the bench runs both and takes the cheaper as the floor (feed/bench/run.py):
"the cheapest Python gRPC server we can build" is decided in each run, not once
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc

MODELS = ("sync", "aio")
WORKERS = 2  # handler threads of the sync model: an empty handler never blocks, so more only adds hand-offs


def _empty(request: bytes, context: grpc.ServicerContext) -> bytes:
    return b""  # an empty message of any type: the client decodes it as its response's defaults


async def _empty_async(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b""


class AnyMethod(grpc.GenericRpcHandler):
    """Every method of every service, on raw bytes: the server parses no request, builds no response."""

    def __init__(self, behavior) -> None:
        self._handler = grpc.unary_unary_rpc_method_handler(behavior)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return self._handler


def serve_sync(addr: str) -> None:
    """Serve on addr until SIGTERM: grpc.server, a small pool."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = grpc.server(ThreadPoolExecutor(max_workers=WORKERS), handlers=[AnyMethod(_empty)])
    server.add_insecure_port(addr)
    server.start()
    stop.wait()
    server.stop(0)


async def _serve_aio(addr: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    server = grpc.aio.server(handlers=[AnyMethod(_empty_async)])
    server.add_insecure_port(addr)
    await server.start()
    await stop.wait()
    await server.stop(0)


def serve_aio(addr: str) -> None:
    """Serve on addr until SIGTERM: grpc.aio on uvloop."""
    import uvloop

    uvloop.run(_serve_aio(addr))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m feed.bench.grpc_floor", description=__doc__.splitlines()[0])
    parser.add_argument("addr", help="HOST:PORT to listen on")
    parser.add_argument("--model", choices=MODELS, default="sync")
    args = parser.parse_args(argv)
    (serve_aio if args.model == "aio" else serve_sync)(args.addr)


if __name__ == "__main__":
    main()
