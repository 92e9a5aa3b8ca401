"""Redis Cluster: the redis+cluster:// URL, the client, and FCALL routed without a round trip.

`FEED_REDIS_URL=redis+cluster://[user:password@]host:port[,host:port...]` (or
`rediss+cluster://` for TLS) names some nodes of a cluster; the client learns the
rest and the slot map from them. Every key of one command must share a hash slot:
timelines carry a hash tag per shard (feed/redis/keys.py), so one function call
per shard group stays one call, and a pipeline of them goes out per node.

redis-py routes a command by the slot of its keys, but for FCALL (whose key count
is an argument, "movablekeys") it asks the server with COMMAND GETKEYS first: one
extra synchronous round trip to one node per call, carrying every key and argument
again. FcallKeys reads the keys from the arguments instead, as redis-py already
does for EVAL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from redis._parsers import CommandsParser
from redis.cluster import ClusterNode, RedisCluster

from feed.errors import InvalidArgument

SCHEMES = ("redis+cluster://", "rediss+cluster://")
MAX_CONNECTIONS_PER_NODE = 64  # as connect() allows a standalone Redis
_FCALLS = ("FCALL", "FCALL_RO")


def is_cluster_url(url: str) -> bool:
    """True when url selects cluster mode."""
    return url.startswith(SCHEMES)


def parse_cluster_url(url: str) -> tuple[list[tuple[str, int]], str | None, str | None, bool]:
    """The startup nodes, username, password and TLS flag of a redis+cluster:// URL."""
    scheme = next((s for s in SCHEMES if url.startswith(s)), None)
    if scheme is None:
        raise InvalidArgument(f"a cluster URL must start with {' or '.join(SCHEMES)}")
    rest = url[len(scheme) :].split("/", 1)[0]  # a /db suffix means nothing in a cluster (db 0 only)
    username = password = None
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    nodes = []
    for address in filter(None, (a.strip() for a in rest.split(","))):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise InvalidArgument(f"FEED_REDIS_URL: cluster nodes must be host:port, got {address!r}")
        nodes.append((host.strip("[]"), int(port)))
    if not nodes:
        raise InvalidArgument("FEED_REDIS_URL: a cluster URL must name at least one host:port")
    return nodes, username, password, scheme.startswith("rediss")


class FcallKeys(CommandsParser):
    """The client's command table, reading FCALL keys from the arguments, not the server.

    FCALL name numkeys key... arg...: the keys are the numkeys arguments after numkeys.
    """

    def __init__(self, base: CommandsParser) -> None:  # reuse the table base fetched: no second COMMAND
        self.commands = base.commands
        self.redis_connection = base.redis_connection

    def get_keys(self, redis_conn: Any, *args: Any) -> Any:
        if len(args) >= 3 and str(args[0]).upper() in _FCALLS:
            numkeys = int(args[2])
            return list(args[3 : 3 + numkeys]) or None  # None: no key, any node will do
        return super().get_keys(redis_conn, *args)


def connect_cluster(url: str, socket_timeout_s: float, **options: Any) -> RedisCluster:
    """A RedisCluster client for url, every call bounded by socket_timeout_s.

    It contacts the startup nodes at once to learn the slot map, so a process
    whose cluster is down fails at start (and is restarted) instead of serving
    errors; later outages are retried by redis-py and surface as ConnectionError.
    """
    nodes, username, password, ssl = parse_cluster_url(url)
    client = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in nodes],
        username=username,
        password=password,
        ssl=ssl,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=socket_timeout_s,
        max_connections=MAX_CONNECTIONS_PER_NODE,
        **options,
    )
    client.commands_parser = FcallKeys(client.commands_parser)  # pipelines share it, so they route locally too
    return client


def mget(client: Any, keys: Sequence[str]) -> list[Any]:
    """MGET that also works across slots: on a cluster, one MGET per slot, pipelined per node."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(list(keys))
    return client.mget(list(keys))
