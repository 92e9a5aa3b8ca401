"""Fixtures of the chart tests: one parameter per value set (the defaults and every example)."""

from __future__ import annotations

import pytest

from tests.helm.chart import VALUE_SETS, rendered


@pytest.fixture(params=sorted(VALUE_SETS))
def value_set(request) -> str:
    """The name of a value set: "default" or the stem of a file in helm/feed/examples."""
    return request.param


@pytest.fixture
def manifests(value_set):
    """The manifests the chart renders for that value set."""
    return rendered(value_set)
