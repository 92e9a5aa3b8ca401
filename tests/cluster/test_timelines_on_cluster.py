"""The timeline store tests, unchanged, against a 3-master Redis Cluster: the contract and the Redis-only ones."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.timeline import test_redis_timeline_store as suite
from tests.timeline.test_read_time_sources import TestRedisReadTimeSources

pytestmark = suite.pytestmark
globals().update(functions_to_rerun(suite))


class TestRedisClusterTimelineStore(suite.TestRedisTimelineStore):
    """The contract; `functions` comes from tests/cluster/conftest.py, so the store talks to the cluster."""


class TestRedisClusterReadTimeSources(TestRedisReadTimeSources):
    """The read-time sources contract on the cluster: every source's list is in a slot of its own."""
