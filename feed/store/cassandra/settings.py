"""Where the Cassandra cluster is and how to talk to it: FEED_STORE's URL and the FEED_CASSANDRA_* variables.

FEED_STORE=cassandra://host1,host2:9043,[::1]/keyspace names the contact points
(each with an optional port, 9042 by default) and the keyspace. Everything else
comes from FEED_CASSANDRA_* variables read by CassandraSettings.from_env, so
credentials never sit in a URL that gets logged.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import re
from collections.abc import Mapping

from cassandra import ConsistencyLevel

from feed.errors import InvalidArgument

DEFAULT_PORT = 9042
DEFAULT_LOCAL_DC = "datacenter1"
DEFAULT_CONSISTENCY = "LOCAL_QUORUM"
DEFAULT_REPLICATION = "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}"
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 120.0
# Levels a read or a write may use (SERIAL levels are for LWTs, ANY is write-only).
CONSISTENCY_LEVELS = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")
_KEYSPACE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")  # unquoted, so it can be spliced into CQL safely
_HOST = re.compile(r"^[A-Za-z0-9._-]+$")
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]+$")
_DC = re.compile(r"^[A-Za-z0-9._-]+$")
_DIGITS = re.compile(r"^[0-9]{1,5}$")
_REPLICATION_CLASSES = ("SimpleStrategy", "NetworkTopologyStrategy")
_OPTION_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_FACTOR = re.compile(r"^[0-9]{1,2}$")


@dataclasses.dataclass(frozen=True)
class CassandraSettings:
    """Where the cluster is and how to talk to it. The password never appears in repr."""

    contact_points: tuple[tuple[str, int], ...]
    keyspace: str
    local_dc: str = DEFAULT_LOCAL_DC
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    consistency: str = DEFAULT_CONSISTENCY
    replication: str = dataclasses.field(default_factory=lambda: parse_replication(DEFAULT_REPLICATION, "default"))
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] | None = None) -> CassandraSettings:
        """Parse the URL and read FEED_CASSANDRA_*; raise InvalidArgument naming the bad one."""
        env = os.environ if env is None else env
        contact_points, keyspace = parse_cassandra_url(url)
        local_dc = env.get("FEED_CASSANDRA_LOCAL_DC") or DEFAULT_LOCAL_DC
        if not _DC.match(local_dc):
            raise InvalidArgument(f"FEED_CASSANDRA_LOCAL_DC must be a datacenter name, got {local_dc!r}")
        username = env.get("FEED_CASSANDRA_USERNAME") or ""
        password = env.get("FEED_CASSANDRA_PASSWORD") or ""
        if bool(username) != bool(password):
            raise InvalidArgument("FEED_CASSANDRA_USERNAME and FEED_CASSANDRA_PASSWORD must be set together")
        consistency = (env.get("FEED_CASSANDRA_CONSISTENCY") or DEFAULT_CONSISTENCY).upper()
        if consistency not in CONSISTENCY_LEVELS:
            raise InvalidArgument(
                f"FEED_CASSANDRA_CONSISTENCY must be one of {', '.join(CONSISTENCY_LEVELS)}, got {consistency!r}"
            )
        replication = parse_replication(
            env.get("FEED_CASSANDRA_REPLICATION") or DEFAULT_REPLICATION, "FEED_CASSANDRA_REPLICATION"
        )
        raw_timeout = env.get("FEED_CASSANDRA_TIMEOUT_S") or str(DEFAULT_TIMEOUT_S)
        try:
            timeout_s = float(raw_timeout)
        except ValueError:
            timeout_s = math.nan
        if not 0 < timeout_s <= MAX_TIMEOUT_S:  # also false for nan
            raise InvalidArgument(
                f"FEED_CASSANDRA_TIMEOUT_S must be seconds in (0, {MAX_TIMEOUT_S:g}], got {raw_timeout!r}"
            )
        return cls(contact_points, keyspace, local_dc, username, password, consistency, replication, timeout_s)

    @property
    def consistency_level(self) -> int:
        return ConsistencyLevel.name_to_value[self.consistency]

    @property
    def serial_consistency_level(self) -> int:
        """The level of the Paxos round of LWTs: cluster-wide only when plain statements are too.

        LOCAL_SERIAL keeps an idempotency key or a follow edge linearizable within
        the local datacenter, which is where one user's requests are served.
        """
        if self.consistency in ("QUORUM", "EACH_QUORUM", "ALL"):
            return ConsistencyLevel.SERIAL
        return ConsistencyLevel.LOCAL_SERIAL


def parse_cassandra_url(url: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Contact points and keyspace of cassandra://host[:port][,host[:port]...]/keyspace."""
    prefix = "cassandra://"
    if not url.startswith(prefix):
        raise InvalidArgument(f"a Cassandra FEED_STORE starts with {prefix}, got {url!r}")
    netloc, _, keyspace = url[len(prefix) :].partition("/")
    if "@" in netloc:
        raise InvalidArgument("FEED_STORE must not carry credentials; set FEED_CASSANDRA_USERNAME/PASSWORD instead")
    if not _KEYSPACE.match(keyspace):
        raise InvalidArgument(
            f"FEED_STORE {url!r} must end in /keyspace: a lowercase letter, then up to 47 of [a-z0-9_]"
        )
    return tuple(_contact_point(entry, url) for entry in netloc.split(",")), keyspace


def _contact_point(entry: str, url: str) -> tuple[str, int]:
    if entry.startswith("["):  # [IPv6] or [IPv6]:port
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or not _IPV6.match(host) or (rest and not rest.startswith(":")):
            raise InvalidArgument(f"FEED_STORE {url!r}: bad IPv6 contact point {entry!r}")
        port = rest[1:] if rest else ""
    else:
        host, _, port = entry.partition(":")
        if not _HOST.match(host):
            raise InvalidArgument(f"FEED_STORE {url!r}: bad contact point {entry!r} (write IPv6 as [addr]:port)")
    if not port:
        return host, DEFAULT_PORT
    if not _DIGITS.match(port) or not 0 < int(port) < 65536:
        raise InvalidArgument(f"FEED_STORE {url!r}: port of {entry!r} must be 1..65535")
    return host, int(port)


def parse_replication(raw: str, source: str) -> str:
    """Validate a replication map (JSON or a CQL map literal) and render it as a CQL map literal.

    The map is spliced into CREATE KEYSPACE, so it is rebuilt from checked parts,
    never passed through as written. source names the setting in errors.
    """
    example = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise InvalidArgument(f"{source} must be a map such as {example}, got {raw!r}") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidArgument(f"{source} must be a map such as {example}, got {raw!r}")
    options = dict(value)
    strategy = str(options.pop("class", "")).rsplit(".", 1)[-1]
    if strategy not in _REPLICATION_CLASSES:
        raise InvalidArgument(f"{source} class must be one of {', '.join(_REPLICATION_CLASSES)}, got {raw!r}")
    if strategy == "SimpleStrategy" and set(options) != {"replication_factor"}:
        raise InvalidArgument(f"{source}: SimpleStrategy takes exactly replication_factor, got {raw!r}")
    if strategy == "NetworkTopologyStrategy" and not options:
        raise InvalidArgument(f"{source}: NetworkTopologyStrategy needs a factor per datacenter, got {raw!r}")
    parts = [f"'class': '{strategy}'"]
    for name, factor in options.items():
        digits = str(factor)
        if not _OPTION_NAME.match(name) or isinstance(factor, bool) or not _FACTOR.match(digits) or int(digits) < 1:
            raise InvalidArgument(f"{source}: {name!r} must name a datacenter with a factor of 1 or more")
        parts.append(f"'{name}': '{int(digits)}'")
    return "{" + ", ".join(parts) + "}"
