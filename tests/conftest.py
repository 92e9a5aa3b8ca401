"""Fixtures that start real processes on free loopback ports and stop them afterwards."""

from __future__ import annotations

import pytest

from feed.local_stack import start_redis
from feed.redis_conn import RedisFunctions, connect


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server of our own for the whole test session."""
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.stop()


@pytest.fixture
def redis_client(redis_url):
    client = connect(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def functions(redis_client):
    fn = RedisFunctions(redis_client)
    fn.load()
    return fn


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The whole local stack (Tansu, redis-server, both services, two workers) on free ports."""
    from feed.up import start_stack
    from tests.integration.stack import isolated_settings

    data = tmp_path_factory.mktemp("stack")
    running = start_stack(isolated_settings(data), data, workers=2)
    yield running
    codes = running.stop()
    assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


@pytest.fixture(scope="session")
def client(stack):
    from tests.integration.stack import Client

    c = Client(stack.settings.write_addr, stack.settings.read_addr)
    yield c
    c.close()
