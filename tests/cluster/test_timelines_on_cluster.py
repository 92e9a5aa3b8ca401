"""The RedisTimelineStore tests, unchanged, against a 3-master Redis Cluster."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.integration import test_timelines as suite

pytestmark = suite.pytestmark
globals().update(functions_to_rerun(suite))
