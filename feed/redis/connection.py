"""Connect to Redis from FEED_REDIS_URL and keep the `feed` function library loaded.

One client type for the rest of the code: a standalone Redis (redis://) or a
Redis Cluster (redis+cluster://, feed/redis/cluster.py); both take the same
single-key commands, function calls and pipelines. The library is loaded on
connect, on every primary of a cluster, and again whenever Redis answers that
a function is missing (a Redis restarted empty, a failover to a replica that
never had it, a node added to a cluster), so callers never see that error;
but never over a newer release's library (LIBRARY_VERSION): during a rolling
deploy an old process that restarts keeps the new functions in place, and its
own calls, whose names and meanings a release keeps, still run.
Every round trip is timed, and a Redis that does not answer is reported, the
same way (feed/redis/calls.py).
"""

from __future__ import annotations

import importlib.resources
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import redis
from redis.cluster import RedisCluster

from feed.errors import InvalidArgument
from feed.redis.calls import Call, function_missing, operation_of, raise_first_error, round_trip
from feed.redis.cluster import connect_cluster, is_cluster_url

SOCKET_TIMEOUT_S = 2.0  # every Redis call is bounded: a hung server becomes an error, not a hang
LIBRARY = importlib.resources.files("feed.redis").joinpath("lua/feed.lua").read_text()
LIBRARY_VERSION = int(re.search(r"^local LIBRARY_VERSION = (\d+)$", LIBRARY, re.MULTILINE)[1])  # type: ignore[index]
RedisClient: TypeAlias = redis.Redis | RedisCluster
_SCHEMES = "redis://, rediss://, unix:// or redis+cluster://"
# Sends calls in one round trip and answers in call order, an error answer in place of its call's.
Transport: TypeAlias = Callable[[Sequence[Call]], list[Any]]


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
    """Calls into the `feed` Redis function library, reloading it when missing.

    send() is the one policy every function call goes through, whatever carries it
    (a single FCALL, a redis-py pipeline, PackedCalls' packed pipeline): load the
    library if this process never did, time the round trip (round_trip), and when
    some calls found no function (a Redis restarted empty, a failover to a replica
    that never had it, a node added to a cluster) reload the library and redo those
    calls, once. Only the calls that failed are redone: on a cluster one node may
    lack the library while the others ran their calls, whose answers (counts of
    what changed) a second run would not repeat. Any other error answer is raised.
    """

    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._loaded = False

    def load(self) -> None:
        """Load (or replace) the library unless Redis holds a newer release's; idempotent. A cluster client
        sends it to every primary (the version is asked of one: a deploy rolls over all of them alike)."""
        with self._lock, round_trip("function_load"):
            # Race: another process may load between the question and the load; a newer one that loses
            # its functions so loads them again the first time it misses one, as after a restart.
            if self._loaded_version() <= LIBRARY_VERSION:
                self.client.function_load(LIBRARY, replace=True)
            self._loaded = True

    def _loaded_version(self) -> int:
        """The release of the library Redis holds; 0 for none, or for one from before versions."""
        try:
            return int(self.client.fcall_ro("feed_version", 0))
        except redis.ResponseError:
            return 0

    def call(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """FCALL name with keys and args."""
        return self.send([(name, keys, args)], self._fcall)[0]

    def call_many(self, calls: Sequence[Call]) -> list[Any]:
        """Several FCALLs in one pipelined round trip, answers in call order.

        On a cluster the pipeline is split per node (each call by its keys' slot, so
        every call's keys must share one) and written to all nodes before any is read.
        """
        if not calls:
            return []
        return self.send(calls, self._pipeline)

    def send(self, calls: Sequence[Call], transport: Transport) -> list[Any]:
        """Run calls through transport under the policy above; their answers in call order."""
        if not self._loaded:
            self.load()
        operation = operation_of(calls)
        with round_trip(operation):
            replies = transport(calls)
        missing = [i for i, reply in enumerate(replies) if function_missing(reply)]
        if missing:
            self.load()  # every function of the library is safe to redo
            again = [calls[i] for i in missing]
            with round_trip(operation_of(again)):
                redone = transport(again)
            for i, reply in zip(missing, redone, strict=True):
                replies[i] = reply
        return raise_first_error(operation, replies, calls)

    def _fcall(self, calls: Sequence[Call]) -> list[Any]:
        """One FCALL; an error answer comes back in place of the answer, as from a pipeline."""
        ((name, keys, args),) = calls
        try:
            return [self.client.fcall(name, len(keys), *keys, *args)]
        except redis.ResponseError as exc:
            return [exc]

    def _pipeline(self, calls: Sequence[Call]) -> list[Any]:
        """One pipelined round trip; errors come back in place of their call's answer."""
        pipe = self.client.pipeline(transaction=False)
        for name, keys, args in calls:
            pipe.fcall(name, len(keys), *keys, *args)
        return list(pipe.execute(raise_on_error=False))
