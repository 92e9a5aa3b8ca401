"""The real Apache Cassandra the tests share: one node per session, a fresh keyspace per suite.

FEED_CASSANDRA_CONTACT_POINTS=HOST[:PORT] points the tests at a running
Cassandra instead; otherwise the pinned version (feed/devstack/cassandra.py)
is started from its Maven jars once per session, on free loopback ports.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from collections.abc import Iterator
from pathlib import Path

DEV_REPLICATION = '{"class": "SimpleStrategy", "replication_factor": 1}'  # a single node holds every row
_keyspaces = itertools.count(1)
_RUN = f"{random.randrange(36**4):04x}"  # keyspaces of an earlier run against a shared node are not reused


@contextlib.contextmanager
def session_cassandra(log_dir: Path) -> Iterator[tuple[str, str]]:
    """(contact point HOST:PORT, release version) of the session's Cassandra, stopped afterwards if ours."""
    from feed.devstack.cassandra import START_TIMEOUT_S, STOP_GRACE_S, start_cassandra, wait_until_bootstrapped

    given = os.environ.get("FEED_CASSANDRA_CONTACT_POINTS", "").split(",")[0]
    if given:
        contact_point = given if ":" in given else f"{given}:9042"
        yield contact_point, wait_until_bootstrapped(contact_point, START_TIMEOUT_S)
        return
    proc, contact_point = start_cassandra(log_dir)
    try:
        yield contact_point, wait_until_bootstrapped(contact_point, START_TIMEOUT_S, proc)
    finally:
        proc.stop(STOP_GRACE_S)


def keyspace_url(contact_point: str, purpose: str) -> str:
    """The store URL of a keyspace no test has used yet (not created)."""
    return f"cassandra://{contact_point}/t{_RUN}_{purpose}_{next(_keyspaces)}"


def fresh_keyspace(contact_point: str, purpose: str) -> str:
    """The store URL of a new keyspace with the whole schema applied, for one suite's own use."""
    from feed.store.url import apply_schema

    url = keyspace_url(contact_point, purpose)
    apply_schema(url, DEV_REPLICATION)
    return url
