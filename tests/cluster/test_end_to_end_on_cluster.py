"""The end-to-end suite, unchanged, against a stack whose Redis is a 3-master Redis Cluster."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.integration import test_end_to_end as suite

pytestmark = suite.pytestmark
globals().update(functions_to_rerun(suite))
