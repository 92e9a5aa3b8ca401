"""Re-run another module's tests here, where tests/cluster/conftest.py points their fixtures at the cluster."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def functions_to_rerun(suite: ModuleType) -> dict[str, Any]:
    """The test functions of suite by name, to put in a module's globals for pytest to collect."""
    return {name: value for name, value in vars(suite).items() if name.startswith("test_") and callable(value)}
