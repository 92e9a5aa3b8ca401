"""The Cassandra launcher (feed/devstack/cassandra.py): the node the session runs, its jars, its errors."""

from __future__ import annotations

import os

import pytest
from cassandra.cluster import Cluster

from feed.devstack import cassandra as engine
from feed.errors import FeedError

pytestmark = pytest.mark.cassandra
ours = pytest.mark.skipif(bool(os.environ.get("FEED_CASSANDRA_CONTACT_POINTS")), reason="the session uses a given node")


@ours
def test_the_session_node_is_the_pinned_release_serving_cql(cassandra_contact_point):
    host, _, port = cassandra_contact_point.rpartition(":")
    cluster = Cluster([host], port=int(port), protocol_version=5)
    try:
        row = cluster.connect().execute("SELECT release_version, bootstrapped FROM system.local").one()
    finally:
        cluster.shutdown()
    assert (row.release_version, row.bootstrapped) == (engine.VERSION, "COMPLETED")


@ours
def test_jars_resolved_once_are_used_offline_afterwards(cassandra_contact_point, monkeypatch):
    """The session's node resolved the jars; a second resolution needs no Maven (and no network)."""
    monkeypatch.setattr("feed.devstack.maven.shutil.which", lambda name: None)
    jars = engine.cassandra_jars()
    assert any(jar.name == f"cassandra-all-{engine.VERSION}.jar" for jar in jars)
    assert any(jar.name.startswith("jamm-") for jar in jars)


def test_a_machine_without_java_gets_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    with pytest.raises(FeedError, match="java is not installed"):
        engine.start_cassandra(tmp_path)
