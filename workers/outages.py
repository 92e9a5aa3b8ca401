"""Which failures are outages: a dependency not answering, no event's fault.

The worker waits an outage out and never dead-letters an event for one; any
other failure that outlasts its retries is blamed on the events that raise it.
"""

from __future__ import annotations

import sqlite3

import redis
from kafka.errors import KafkaError

from feed.errors import Unavailable

# A dependency not answering: no event's fault, so waited out, never dead-lettered. A Redis
# Cluster failing over answers CLUSTERDOWN, TRYAGAIN or READONLY, or has a slot unserved for a
# while. SQLite's OperationalError is a locked, missing or unreadable database, never one event's content.
OUTAGES = (
    Unavailable,
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.RedisClusterException,
    OSError,
    sqlite3.OperationalError,
    KafkaError,
)


def is_outage(exc: BaseException) -> bool:
    """True when exc, or what it was raised from, says a dependency did not answer."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OUTAGES):
            return True
        cause = cause.__cause__
    return False
