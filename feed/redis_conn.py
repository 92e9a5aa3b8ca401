"""Connect to Redis from FEED_REDIS_URL and keep the `feed` function library loaded.

The library is loaded on connect and again whenever Redis answers that a
function is missing (a Redis restarted empty, a failover to a replica that
never had it), so callers never see that error. Every round trip is timed in
feed_redis_operation_duration_seconds, labelled by function name.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import threading
from typing import Any

import redis

from feed import metrics
from feed.errors import InvalidArgument

SOCKET_TIMEOUT_S = 2.0  # every Redis call is bounded: a hung server becomes an error, not a hang
LIBRARY = importlib.resources.files("feed").joinpath("lua/feed.lua").read_text()


def connect(url: str) -> redis.Redis:
    """A client for a standalone Redis named by a redis:// or unix:// URL."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidArgument(f"FEED_REDIS_URL must start with redis://, rediss:// or unix://, got {url!r}")
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
        max_connections=64,
    )


class RedisFunctions:
    """Calls into the `feed` Redis function library, reloading it when missing."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._loaded = False

    def load(self) -> None:
        """Load (or replace) the library; idempotent."""
        with self._lock, redis_timer("function_load"):
            self.client.function_load(LIBRARY, replace=True)
            self._loaded = True

    def call(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """FCALL name with keys and args."""
        if not self._loaded:
            self.load()
        try:
            with redis_timer(name):
                return self.client.fcall(name, len(keys), *keys, *args)
        except redis.ResponseError as exc:
            if "Function not found" not in str(exc):
                raise
            self.load()
            with redis_timer(name):
                return self.client.fcall(name, len(keys), *keys, *args)

    def call_many(self, calls: list[tuple[str, list[str], list[Any]]]) -> list[Any]:
        """Several FCALLs in one pipelined round trip; reload and redo on a missing function."""
        if not calls:
            return []
        if not self._loaded:
            self.load()
        for attempt in range(2):
            pipe = self.client.pipeline(transaction=False)
            for name, keys, args in calls:
                pipe.fcall(name, len(keys), *keys, *args)
            with redis_timer(_operation(calls)):
                results = pipe.execute(raise_on_error=False)
            missing = any(isinstance(r, redis.ResponseError) and "Function not found" in str(r) for r in results)
            if missing and attempt == 0:
                self.load()  # every call here is idempotent, so redoing the batch is safe
                continue
            for result in results:
                if isinstance(result, Exception):
                    raise result
            return results
        raise AssertionError("unreachable")


def redis_timer(operation: str) -> contextlib.AbstractContextManager[None]:
    """Time one Redis round trip under operation (a function name: a small, fixed set)."""
    return metrics.timed(metrics.REDIS_SECONDS, metrics.REDIS_ERRORS, operation)


def _operation(calls: list[tuple[str, list[str], list[Any]]]) -> str:
    """The label of a pipeline: its function name when all calls share one, else "pipeline"."""
    names = {name for name, _, _ in calls}
    return names.pop() if len(names) == 1 else "pipeline"
