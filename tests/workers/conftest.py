"""Fixtures of the worker tests: a broker and a store of each test's own."""

from __future__ import annotations

import pytest

from feed.devstack.local import start_tansu


@pytest.fixture
def tansu(tmp_path):
    """A broker of the test's own (bootstrap address), so freezing or breaking it disturbs no other test."""
    proc, bootstrap = start_tansu(tmp_path)
    yield proc, bootstrap
    proc.stop()


@pytest.fixture
def store(sqlite_store):
    return sqlite_store
