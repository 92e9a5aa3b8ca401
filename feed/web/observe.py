"""The gateway's RED metrics and request log, as a Connect metadata interceptor.

Placed first in the interceptor list, it runs before the request body is read, so calls
refused for a malformed body or a missing method's input are counted too. The upstream
gRPC services count the same calls again under feed_rpc_* (their own view, without the
protocol); these say which protocol browsers use and what the hop costs. A tracing
interceptor (OpenTelemetry's connectrpc-otel) goes beside this one in app.INTERCEPTORS.
"""

from __future__ import annotations

import functools
import logging
import time

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from prometheus_client import Counter, Histogram

from feed.telemetry.metrics import RPC_BUCKETS

log = logging.getLogger("feed.web")

WEB_REQUESTS = Counter(
    "feed_web_requests_total",
    "Connect and gRPC-Web calls the web gateway answered, by procedure, protocol and Connect code",
    ["procedure", "protocol", "code"],
)
WEB_SECONDS = Histogram(
    "feed_web_request_duration_seconds",
    "Time the web gateway spent on one call, from its headers to its status (a stream: its whole life)",
    ["procedure", "protocol"],
    buckets=RPC_BUCKETS,
)


def protocol_of(content_type: str) -> str:
    """connect, grpc-web or grpc, from the request's content type (a small fixed set: a label)."""
    if content_type.startswith("application/grpc-web"):
        return "grpc-web"
    if content_type.startswith("application/grpc"):
        return "grpc"
    return "connect"


def code_of(error: Exception | None) -> str:
    if error is None:
        return "ok"
    return error.code.value if isinstance(error, ConnectError) else Code.UNKNOWN.value


class Observe:
    """Counts and times every call by procedure (only the generated services' paths reach here)."""

    async def on_start(self, ctx: RequestContext) -> float:
        return time.perf_counter()

    async def on_end(self, started: float, ctx: RequestContext, error: Exception | None, /) -> None:
        procedure = f"{ctx.method.service_name}/{ctx.method.name}"
        protocol = protocol_of(ctx.request_headers.get("content-type", ""))
        code = code_of(error)
        seconds = time.perf_counter() - started
        _requests(procedure, protocol, code).inc()
        _seconds(procedure, protocol).observe(seconds)
        level = logging.WARNING if code in ("unknown", "internal") else logging.DEBUG  # ours to look at
        if log.isEnabledFor(level):
            extra = {"procedure": procedure, "protocol": protocol, "code": code, "ms": round(seconds * 1e3, 2)}
            log.log(level, "call", extra=extra)


# Children looked up once (see services/interceptors.py): bounded by procedures x protocols x codes.
@functools.lru_cache(maxsize=2048)
def _requests(procedure: str, protocol: str, code: str):
    return WEB_REQUESTS.labels(procedure, protocol, code)


@functools.lru_cache(maxsize=512)
def _seconds(procedure: str, protocol: str):
    return WEB_SECONDS.labels(procedure, protocol)
