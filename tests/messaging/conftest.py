"""A Tansu broker of this folder's own for the whole session."""

from __future__ import annotations

import pytest

from feed.devstack.local import start_tansu


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory):
    proc, bootstrap = start_tansu(tmp_path_factory.mktemp("tansu"))
    yield bootstrap
    proc.stop()
