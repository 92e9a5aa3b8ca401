"""The reposts suite, unchanged, against a stack whose Redis is a 3-master Redis Cluster of its own
(the suite flushes it): tl_repost and each timeline's companion hash share a slot."""

from __future__ import annotations

import pytest

from tests.cluster.rerun import functions_to_rerun
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration import test_reposts as suite
from tests.integration.stack import client_of, private_cluster_stack

pytestmark = suite.pytestmark
globals().update(functions_to_rerun(suite))


@pytest.fixture(scope="module")
def rstack(tmp_path_factory):
    with private_cluster_stack(
        tmp_path_factory, "reposts-cluster", workers=1, celebrity_threshold=CELEBRITY_THRESHOLD
    ) as running:
        yield running


@pytest.fixture(scope="module")
def rc(rstack):
    with client_of(rstack, suite.USERS.org, suite.USERS.is_admin) as c:
        yield c
