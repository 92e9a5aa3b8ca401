"""Connect to Redis from FEED_REDIS_URL and keep the `feed` function library loaded.

One client type for the rest of the code: a standalone Redis (redis://) or a
Redis Cluster (redis+cluster://, feed/redis/cluster.py); both take the same
single-key commands, function calls and pipelines. The library is loaded on
connect, on every primary of a cluster, and again whenever Redis answers that
a function is missing (a Redis restarted empty, a failover to a replica that
never had it, a node added to a cluster), so callers never see that error.
Every round trip is timed in feed_redis_operation_duration_seconds, labelled
by function name.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import threading
from typing import Any, TypeAlias

import redis
from redis.cluster import RedisCluster

from feed.errors import InvalidArgument
from feed.redis.cluster import connect_cluster, is_cluster_url
from feed.telemetry import metrics

SOCKET_TIMEOUT_S = 2.0  # every Redis call is bounded: a hung server becomes an error, not a hang
LIBRARY = importlib.resources.files("feed.redis").joinpath("lua/feed.lua").read_text()
RedisClient: TypeAlias = redis.Redis | RedisCluster
_SCHEMES = "redis://, rediss://, unix:// or redis+cluster://"


def connect(url: str) -> RedisClient:
    """A client for the Redis named by url: standalone (redis://, rediss://, unix://) or a cluster."""
    if is_cluster_url(url):
        return connect_cluster(url, SOCKET_TIMEOUT_S)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidArgument(f"FEED_REDIS_URL must start with {_SCHEMES}, got {url!r}")
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
        max_connections=64,
    )


class RedisFunctions:
    """Calls into the `feed` Redis function library, reloading it when missing."""

    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._loaded = False

    def load(self) -> None:
        """Load (or replace) the library; idempotent. A cluster client sends it to every primary."""
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
            if not _function_missing(exc):
                raise
            self.load()
            with redis_timer(name):
                return self.client.fcall(name, len(keys), *keys, *args)

    def call_many(self, calls: list[tuple[str, list[str], list[Any]]]) -> list[Any]:
        """Several FCALLs in one pipelined round trip; reload and redo the calls that found no function.

        On a cluster the pipeline is split per node (each call by its keys' slot, so
        every call's keys must share one) and written to all nodes before any is read.
        Only the calls that failed are redone: on a cluster one node may lack the
        library while the others ran their calls, whose answers (counts of what
        changed) a second run would not repeat.
        """
        if not calls:
            return []
        if not self._loaded:
            self.load()
        results = self._pipeline(calls)
        missing = [i for i, r in enumerate(results) if _function_missing(r)]
        if missing:
            self.load()
            for i, result in zip(missing, self._pipeline([calls[i] for i in missing]), strict=True):
                results[i] = result
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    def _pipeline(self, calls: list[tuple[str, list[str], list[Any]]]) -> list[Any]:
        """One pipelined round trip; errors come back in place of their call's answer."""
        pipe = self.client.pipeline(transaction=False)
        for name, keys, args in calls:
            pipe.fcall(name, len(keys), *keys, *args)
        with redis_timer(_operation(calls)):
            return list(pipe.execute(raise_on_error=False))


def _function_missing(result: Any) -> bool:
    return isinstance(result, redis.ResponseError) and "Function not found" in str(result)


def redis_timer(operation: str) -> contextlib.AbstractContextManager[None]:
    """Time one Redis round trip under operation (a function name: a small, fixed set)."""
    return metrics.timed(metrics.REDIS_SECONDS, metrics.REDIS_ERRORS, operation)


def _operation(calls: list[tuple[str, list[str], list[Any]]]) -> str:
    """The label of a pipeline: its function name when all calls share one, else "pipeline"."""
    names = {name for name, _, _ in calls}
    return names.pop() if len(names) == 1 else "pipeline"
