"""tests/integration/test_org_admin.py, unchanged, against a stack whose Redis is a 3-master Redis Cluster."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.integration import test_org_admin as suite
from tests.integration.test_org_admin import ac  # noqa: F401 (the suite's fixtures, for pytest)

globals().update(functions_to_rerun(suite))
