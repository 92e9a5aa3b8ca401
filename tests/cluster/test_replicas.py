"""The services keep no state of their own: replicas behind one address serve the same feeds.

Two more write and two more read services run beside the cluster stack. A client
whose channels name both replicas of each in one target (`ipv4:A,B`, balanced
round robin) writes and reads through them; then each read replica, asked
directly, must serve every user the same pages.
"""

from __future__ import annotations

import contextlib

import pytest

from feed.devstack.procs import ManagedProcess
from feed.telemetry.scrape import scrape
from tests.integration.stack import BalancedClient, Client, drained, eventually, new_user, start_replica, wait_listening

pytestmark = pytest.mark.integration
REPLICAS = 2


def calls_served(proc) -> float:
    """gRPC calls a service process has handled, whatever the method or code."""
    samples = scrape(proc.metrics_url)
    return sum(v for (name, _), v in samples.items() if name == "feed_rpc_requests_total")


def test_replicas_behind_one_address_serve_the_same_feeds(cluster_stack, tmp_path):
    replicas: dict[str, list[tuple[ManagedProcess, str]]] = {"write": [], "read": []}
    exits: dict[str, int] = {}
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: exits.update({p.name: p.stop() for ps in replicas.values() for p, _ in ps}))
        for role in replicas:
            for _ in range(REPLICAS):
                replicas[role].append(start_replica(cluster_stack, role, tmp_path))
        for proc, addr in replicas["write"] + replicas["read"]:
            wait_listening(proc, addr)  # all four start at once
        write_addrs, read_addrs = ([addr for _, addr in replicas[role]] for role in ("write", "read"))
        balanced = BalancedClient(write_addrs, read_addrs, cluster_stack.keys)
        cleanup.callback(balanced.close)

        author, fans = new_user(), [new_user() for _ in range(3)]
        for fan in fans:
            balanced.home(fan)  # materialized through one replica, written by fan-out, read through another
            balanced.follow(fan, author)
        posts = [balanced.post(author, f"p{i}").post_id for i in range(6)]
        balanced.delete(author, posts[0])
        expected = sorted(posts[1:], reverse=True)
        eventually(lambda: drained(cluster_stack), timeout_s=30)
        for fan in fans:
            assert balanced.home_ids(fan, page_size=2) == expected  # pages cut by one replica, continued by another

        for read_addr in read_addrs:
            direct = Client(cluster_stack.settings.write_addr, read_addr, cluster_stack.keys)
            cleanup.callback(direct.close)
            for user in (*fans, author):
                assert direct.home_ids(user, page_size=2) == expected
            assert [p.post_id for p in direct.user_timeline(author, 10).posts] == expected
        for role, procs in replicas.items():
            for proc, addr in procs:
                assert calls_served(proc) > 0, f"the {role} replica at {addr} got no calls: not balanced"
    assert all(code == 0 for code in exits.values()), f"unclean exits: {exits}"
