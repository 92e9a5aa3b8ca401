"""A stack with its web gateway, shared by tests/web: one allowed origin, the demo token off,
and a write limit low enough for a test to reach it (each test's users stay far below it)."""

from __future__ import annotations

import pytest

from tests.integration.stack import client_of, private_stack

ALLOWED_ORIGIN = "http://allowed.example:3000"
WRITE_BURST = 8  # a user's writes in a burst; a flood of CreatePost passes it


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory):
    overrides = {"web_allowed_origins": f"{ALLOWED_ORIGIN}, ", "write_rate_per_s": 0.5, "write_burst": WRITE_BURST}
    with private_stack(tmp_path_factory, "web", workers=1, web=True, **overrides) as running:
        yield running


@pytest.fixture(scope="session")
def web_client(web_stack):
    with client_of(web_stack) as client:
        yield client


@pytest.fixture(scope="session")
def web_url(web_stack) -> str:
    return f"http://{web_stack.settings.web_addr}"
