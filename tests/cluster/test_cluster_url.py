"""FEED_REDIS_URL in cluster mode: redis+cluster://[user:password@]host:port[,host:port...]."""

from __future__ import annotations

import pytest

from feed.errors import InvalidArgument
from feed.redis.cluster import FcallKeys, is_cluster_url, parse_cluster_url
from feed.redis.connection import connect


def test_a_cluster_url_names_its_startup_nodes():
    nodes, user, password, tls = parse_cluster_url("redis+cluster://10.0.0.5:6379,10.0.0.6:6380")
    assert (nodes, user, password, tls) == ([("10.0.0.5", 6379), ("10.0.0.6", 6380)], None, None, False)


def test_a_cluster_url_may_carry_credentials_and_ask_for_tls():
    nodes, user, password, tls = parse_cluster_url("rediss+cluster://feed:p%40ss@[::1]:7000/0")
    assert (nodes, user, password, tls) == ([("::1", 7000)], "feed", "p@ss", True)


@pytest.mark.parametrize("url", ["redis+cluster://", "redis+cluster://host", "redis+cluster://host:port"])
def test_a_cluster_url_without_host_and_port_is_refused(url):
    with pytest.raises(InvalidArgument):
        parse_cluster_url(url)


def test_only_the_cluster_schemes_select_cluster_mode():
    assert is_cluster_url("redis+cluster://h:1") and is_cluster_url("rediss+cluster://h:1")
    assert not is_cluster_url("redis://h:1/0")
    with pytest.raises(InvalidArgument, match="redis\\+cluster://"):
        connect("http://h:1")


def test_fcall_keys_are_read_from_the_arguments():
    parser = FcallKeys.__new__(FcallKeys)  # no command table needed for FCALL
    assert parser.get_keys(None, "FCALL", "tl_push", 2, "a", "b", 800, 200) == ["a", "b"]
    assert parser.get_keys(None, "fcall_ro", "f", 0, "x") is None
