"""The reposts suite, unchanged, on a stack of its own whose durable store is the real Cassandra
(tests/conftest.py: cassandra_contact_point): the 008 tables, their buckets and the count."""

from __future__ import annotations

import pytest

from tests.cluster.rerun import functions_to_rerun
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration import test_reposts as suite
from tests.integration.stack import client_of, private_stack

pytestmark = [pytest.mark.integration, pytest.mark.cassandra]
globals().update(functions_to_rerun(suite))


@pytest.fixture(scope="module")
def rstack(tmp_path_factory, cassandra_contact_point):
    from tests.store.real_cassandra import fresh_keyspace

    url = fresh_keyspace(cassandra_contact_point, "reposts")
    with private_stack(
        tmp_path_factory, "reposts-cassandra", workers=1, celebrity_threshold=CELEBRITY_THRESHOLD, store_url=url
    ) as running:
        yield running


@pytest.fixture(scope="module")
def rc(rstack):
    with client_of(rstack, suite.USERS.org, suite.USERS.is_admin) as c:
        yield c
