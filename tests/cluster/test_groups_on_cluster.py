"""tests/integration/test_groups.py, unchanged, against a stack whose Redis is a 3-master Redis Cluster."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.integration import test_groups as suite
from tests.integration.test_groups import gc, lapsing, org  # noqa: F401 (the suite's fixtures, for pytest)

globals().update(functions_to_rerun(suite))
