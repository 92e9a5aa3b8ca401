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


def open_channel(addr: str) -> grpc.Channel:
    """An insecure channel to HOST:PORT with the client's reconnect settings."""
    return grpc.insecure_channel(addr, options=CHANNEL_OPTIONS)


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
