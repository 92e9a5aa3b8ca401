"""How every unary call goes out: the acting user's token, a deadline, bounded retries, typed errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from feed.client.retry import RETRY_UNAVAILABLE, RetryPolicy, call_with_retry
from feed.client.tokens import TokenSource

DEFAULT_TIMEOUT_S = 10.0  # every call has a deadline: a hung server costs a caller this much, not for ever
# A restarted server is found again within about 2 s: gRPC's own default waits up to 120 s between tries
# and fails calls at once meanwhile, which would spend a retry budget before the server is back.
CHANNEL_OPTIONS = (("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 2000))
# A watch is quiet for minutes; over a connection a NAT or load balancer dropped without a word it would
# wait until TCP gives up (15 min and more). Pings every KEEPALIVE_S notice within a third more; the
# stream server accepts pings every 5 s or slower (services/stream_server.py KEEPALIVE_MIN_PING_S).
KEEPALIVE_S = 30.0
KEEPALIVE_TIMEOUT_MAX_S = 10.0


def open_channel(addr: str, keepalive_s: float | None = None) -> grpc.Channel:
    """An insecure channel to HOST:PORT with the client's reconnect settings; keepalive_s: ping an
    open call's connection after that long without a frame (for streams), None: never."""
    return grpc.insecure_channel(addr, options=CHANNEL_OPTIONS + keepalive_options(keepalive_s))


def keepalive_options(keepalive_s: float | None) -> tuple[tuple[str, int], ...]:
    """gRPC's channel arguments for pings every keepalive_s while a call is open, each answered within
    a third of it (at most KEEPALIVE_TIMEOUT_MAX_S) or the connection is closed and the call fails."""
    if keepalive_s is None:
        return ()
    timeout_ms = int(min(keepalive_s / 3, KEEPALIVE_TIMEOUT_MAX_S) * 1000)
    return (
        ("grpc.keepalive_time_ms", int(keepalive_s * 1000)),
        ("grpc.keepalive_timeout_ms", timeout_ms),
        ("grpc.http2.ping_timeout_ms", timeout_ms),  # grpcio 1.85 waits for the ping's answer this long (default 60 s)
        ("grpc.keepalive_permit_without_calls", 0),  # an idle channel has nothing to lose
        ("grpc.http2.max_pings_without_data", 0),  # else gRPC stops after 2 pings on a stream that only listens
    )


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


class Calls:
    """One unary call: metadata, deadline and retries applied the same way for every method."""

    def __init__(
        self,
        tokens: TokenSource,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tokens = tokens
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    def unary(
        self,
        method: Callable[..., Any],
        request: Any,
        user_id: int,
        retry_on: frozenset[grpc.StatusCode] = RETRY_UNAVAILABLE,
        timeout_s: float | None = None,
    ) -> Any:
        """method(request) acting as user_id; retried on the statuses in retry_on; a FeedError on failure."""
        timeout = self.timeout_s if timeout_s is None else timeout_s

        def attempt() -> Any:  # the token is asked for on every attempt: a retry may need a renewed one
            return method(request, timeout=timeout, metadata=bearer(self.tokens(user_id)))

        return call_with_retry(attempt, self.retry, retry_on, self._sleep)
