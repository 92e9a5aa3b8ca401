"""The integration suites' fixtures, pointed at a 3-master Redis Cluster (and a stack using one).

The suites in this folder import the integration tests unchanged; these
overrides are what makes them run against the cluster.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def stack(cluster_stack):
    return cluster_stack


@pytest.fixture(scope="session")
def client(cluster_client):
    return cluster_client


@pytest.fixture(scope="session")
def semantics_stack(cluster_semantics_stack):
    return cluster_semantics_stack


@pytest.fixture(scope="session")
def sem_client(cluster_sem_client):
    return cluster_sem_client


@pytest.fixture
def redis_client(redis_cluster_url):
    """A cluster client, every primary emptied first."""
    from feed.redis.connection import connect

    client = connect(redis_cluster_url)
    client.flushall()  # sent to every primary
    yield client
    client.close()


@pytest.fixture
def functions(redis_client):
    from feed.redis.connection import RedisFunctions

    fn = RedisFunctions(redis_client)
    fn.load()
    return fn
