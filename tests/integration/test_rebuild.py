"""Losing Redis loses nothing: timelines are rebuilt from the durable store, once per user."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from feed.redis.connection import connect
from feed.redis.keys import home_timeline_key
from feed.telemetry.scrape import scrape, value
from tests.integration.stack import drained, eventually, new_user

pytestmark = pytest.mark.integration
# Each test runs on the SQLite stack and on the stack whose durable store is the real Cassandra.
STACKS = {"sqlite": ("stack", "client"), "cassandra": ("cassandra_stack", "cassandra_client")}
# Users of the FLUSHALL test: a rebuild on Cassandra reads every edge bucket of the user
# (64 partitions for following, 64 for groups), about 40x SQLite's cost on 2 cores.
FLUSH_USERS = {"sqlite": 2000, "cassandra": 200}


@pytest.fixture(params=list(STACKS))
def durable(request):
    """(stack, client, backend) of the store backend in the test id: [sqlite] or [cassandra]."""
    stack_name, client_name = STACKS[request.param]
    return request.getfixturevalue(stack_name), request.getfixturevalue(client_name), request.param


def rebuilds(stack) -> float:
    read = next(p for p in stack.processes if p.name == "read service")
    return value(scrape(read.metrics_url), "feed_timeline_rebuilds_total")


def test_concurrent_reads_of_a_missing_timeline_rebuild_it_once(durable):
    stack, client, _ = durable
    fan = new_user()
    authors = [new_user() for _ in range(5)]
    for author in authors:
        client.follow(fan, author)
    expected = sorted((client.post(a, "x").post_id for a in authors for _ in range(4)), reverse=True)
    redis = connect(stack.settings.redis_url)
    redis.delete(home_timeline_key(fan))
    before = rebuilds(stack)

    barrier = threading.Barrier(12)

    def read() -> list[int]:
        barrier.wait()
        return [p.post_id for p in client.home(fan, 100).posts]

    with ThreadPoolExecutor(12) as pool:
        pages = list(pool.map(lambda _: read(), range(12)))
    assert all(page == expected for page in pages)
    assert rebuilds(stack) - before == 1


def _load(client, users: list[int], posts: int, seed: int) -> None:
    """A random graph (each user follows up to 8 others) and posts by random authors, in parallel."""
    rng = random.Random(seed)
    edges = {(u, v) for u in users for v in rng.sample(users, rng.randint(0, 8)) if u != v}
    authors = [rng.choice(users) for _ in range(posts)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda e: client.follow(*e), edges))
        list(pool.map(lambda a: client.post(a, "load"), authors))


def _snapshot(client, users: list[int]) -> dict[int, list[int]]:
    with ThreadPoolExecutor(8) as pool:
        return dict(zip(users, pool.map(lambda u: _home_ids(client, u), users), strict=True))


def _home_ids(client, user: int, attempts: int = 6) -> list[int]:
    """A reader's first page, retried as a client does on UNAVAILABLE ("being rebuilt; retry shortly"):
    on a loaded machine a Cassandra-backed rebuild can outlast the read's own wait for it."""
    for attempt in range(attempts):
        try:
            return client.home_ids(user, 100)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def test_after_flushall_every_home_timeline_comes_back_the_same(durable):
    stack, client, backend = durable
    users = [new_user() for _ in range(FLUSH_USERS[backend])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client.home, users))  # materialized: what follows goes through fan-out
    _load(client, users, posts=len(users) * 3 // 2, seed=7)
    redis = connect(stack.settings.redis_url)
    eventually(lambda: drained(stack), timeout_s=60)
    before = _snapshot(client, users)
    assert sum(len(ids) for ids in before.values()) > len(users) * 3 // 2  # the load reached many timelines

    redis.flushall()
    after = _snapshot(client, users)
    assert after == before


def test_feed_rebuild_warms_redis_so_reads_rebuild_nothing(durable):
    stack, client, _ = durable
    users = [new_user() for _ in range(30)]
    _load(client, users, posts=60, seed=11)
    eventually(lambda: drained(stack), timeout_s=60)
    before = _snapshot(client, users)
    redis = connect(stack.settings.redis_url)
    redis.flushall()
    env = {**os.environ, **stack.settings.env()}
    args = [sys.executable, "-m", "feed.cli", "rebuild", "--all"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "failed 0" in done.stdout
    assert all(redis.exists(home_timeline_key(u)) for u in users)
    start = rebuilds(stack)
    assert _snapshot(client, users) == before
    assert rebuilds(stack) == start
