"""Durable-store tests of the semantics suite, again on the stack whose store is the real Cassandra.

Reused, not copied: the test bodies are test_semantics' own, given the Cassandra-backed
stack (tests/conftest.py: cassandra_stack) instead of the SQLite one. The rebuild tests
and the model-based test are parametrized over both stores in their own modules.
"""

from __future__ import annotations

import pytest

from tests.integration import test_semantics

pytestmark = [pytest.mark.integration, pytest.mark.cassandra]


def test_replaying_the_event_log_from_offset_zero_changes_no_timeline_on_cassandra(
    cassandra_stack, cassandra_client, tmp_path
):
    test_semantics.test_replaying_the_event_log_from_offset_zero_changes_no_timeline(
        cassandra_stack, cassandra_client, tmp_path
    )
