"""The readiness probes: one cheap, bounded request per dependency.

Each probe has its own connection with its own short timeouts, so a probe
never waits behind (or holds) a connection the process needs for real work.
"""

from __future__ import annotations

import itertools
import socket
import struct

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from feed.config import Settings
from feed.health.readiness import TIMEOUT_S, Probe, ReadinessChecker
from feed.redis.cluster import connect_cluster, is_cluster_url
from feed.store.base import Store
from feed.store.instrumented import uninstrumented

API_VERSIONS = 18  # Kafka API key; version 0 of the request has an empty body
CLIENT_ID = b"feed-readiness"
_correlation = itertools.count(1)


def redis_probe(url: str, timeout_s: float = TIMEOUT_S) -> Probe:
    """PING on a connection of its own, with no retries: one try, one answer.

    On a Redis Cluster, every primary must answer: a page or a fan-out batch
    touches keys on all of them, so one primary down is the whole of Redis down.
    """
    if is_cluster_url(url):
        return Probe("redis", _ClusterCheck(url, timeout_s))
    client = redis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )
    return Probe("redis", client.ping)


class _ClusterCheck:
    """PING every primary of a cluster, then ask one whether the cluster is whole (cluster_state:ok:
    every slot served); the client is made on the first check that reaches it.

    Made lazily because a cluster client contacts the cluster when it is built,
    and a probe must report a cluster that is down at start, not fail to exist.
    """

    def __init__(self, url: str, timeout_s: float) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._client: RedisCluster | None = None

    def __call__(self) -> None:
        if self._client is None:
            self._client = connect_cluster(self._url, self._timeout_s, retry=Retry(NoBackoff(), 0))
        # A node that does not answer makes redis-py reload the slot map, so after a
        # failover the next check pings the new primaries.
        self._client.ping(target_nodes=RedisCluster.PRIMARIES)
        state = self._client.cluster_info().get("cluster_state")
        if state != "ok":
            raise ConnectionError(f"cluster_state is {state}")  # nodes answer, but some slots are not served


def store_probe(store: Store) -> Probe:
    """A single-key read: the cheapest query every backend answers from its real tables."""
    bare = uninstrumented(store)  # health traffic is not store latency
    return Probe("store", lambda: bare.posts.get_posts([1]))


def kafka_probe(bootstrap: str, timeout_s: float = TIMEOUT_S) -> Probe:
    """An ApiVersions round trip to the first bootstrap broker that answers.

    A raw request rather than a client library's metadata call: it is bounded
    by our own socket timeout (kafka-python's reconnect waits ten seconds) and
    logs nothing while the broker is away.
    """
    addresses = [a.strip() for a in bootstrap.split(",") if a.strip()]

    def check() -> None:
        failures = []
        for address in addresses:
            try:
                api_versions(address, timeout_s)
                return
            except (OSError, ValueError) as exc:
                failures.append(f"{address}: {type(exc).__name__}")
        raise ConnectionError("no bootstrap broker answered: " + ", ".join(failures))

    return Probe("kafka", check)


def api_versions(address: str, timeout_s: float) -> None:
    """Send ApiVersions v0 to HOST:PORT and check the answer is ours and error-free."""
    host, _, port = address.rpartition(":")
    correlation = next(_correlation) & 0x7FFFFFFF
    header = struct.pack(">hhih", API_VERSIONS, 0, correlation, len(CLIENT_ID)) + CLIENT_ID
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as sock:
        sock.sendall(struct.pack(">i", len(header)) + header)
        _size, answer_correlation, error_code = struct.unpack(">iih", _read(sock, 10))
    if answer_correlation != correlation or error_code != 0:
        raise ValueError(f"unexpected ApiVersions answer (correlation {answer_correlation}, error {error_code})")


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def start_readiness(settings: Settings, store: Store, *, kafka: bool) -> ReadinessChecker:
    """The checker for one process: Redis and the store always, the broker when the process uses it."""
    probes = [redis_probe(settings.redis_url), store_probe(store)]
    if kafka:
        probes.append(kafka_probe(settings.kafka_bootstrap))
    return ReadinessChecker(probes).start()
