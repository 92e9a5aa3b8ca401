"""A FeedClient for the session's stack."""

from __future__ import annotations

import pytest

from tests.client.stack_client import client_for


@pytest.fixture
def feed_client(stack):
    with client_for(stack) as client:
        yield client
