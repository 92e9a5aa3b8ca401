"""Each thread's own Redis connection for the packed round trips (feed/redis/held.py), against real servers:
answers never cross calls, a restarted Redis costs no call, connections stay bounded and close."""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from feed.devstack.local import start_redis
from feed.devstack.procs import ManagedProcess, wait_until_listening
from feed.redis.connection import RedisFunctions
from feed.redis.keys import home_timeline_key
from feed.redis.packed_calls import PackedCalls, packed_command
from tests.integration.stack import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def lone_redis(tmp_path) -> Iterator[tuple[ManagedProcess, str]]:
    """A redis-server of this test's own, which the test may stop, restart or pause."""
    proc, url = start_redis(tmp_path)
    yield proc, url
    proc.signal(signal.SIGCONT)
    proc.stop()


def named_client(url: str, name: str, **options) -> redis.Redis:
    """A client whose every connection carries name, so CLIENT LIST can count them."""
    return redis.Redis.from_url(url, client_name=name, **options)


def connections_named(observer: redis.Redis, name: str) -> int:
    return sum(1 for c in observer.client_list() if c.get("name") == name)


def client_id(client: redis.Redis) -> int:
    """The server's id of the connection this thread's packed calls use."""
    return packed_command(client, ("CLIENT", "ID"))


def test_a_call_cut_short_by_a_silent_redis_leaves_no_answer_for_the_next_call(lone_redis):
    proc, url = lone_redis
    client = redis.Redis.from_url(url, socket_timeout=0.3)
    client.mset({"first": "1", "second": "2"})
    assert packed_command(client, ("GET", "first")) == b"1"  # this thread holds its connection now
    proc.signal(signal.SIGSTOP)
    try:
        with pytest.raises(redis.TimeoutError):
            packed_command(client, ("GET", "first"))  # sent; its answer comes once Redis wakes
    finally:
        proc.signal(signal.SIGCONT)
    assert packed_command(client, ("GET", "second")) == b"2"  # its own answer, not the stale "1"


def test_an_error_answer_keeps_the_connection(redis_client):
    redis_client.set("a string", "x")
    before = client_id(redis_client)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        packed_command(redis_client, ("LPUSH", "a string", "y"))
    assert client_id(redis_client) == before


def test_a_redis_restarted_on_the_same_port_costs_no_call_that_was_not_in_flight(lone_redis):
    proc, url = lone_redis
    functions = RedisFunctions(redis.Redis.from_url(url, socket_timeout=2))
    packed = PackedCalls(functions)
    ensure = [("tl_ensure", [home_timeline_key(1)], [])]
    assert packed.call_many(ensure) == [1]  # library loaded, the list made, this thread's connection held
    proc.stop()
    restarted = proc.again()  # same port, nothing kept: an empty Redis without the library
    try:
        wait_until_listening(url.removeprefix("redis://").removesuffix("/0"), 20, restarted)
        assert packed.call_many(ensure) == [1]  # a fresh connection, the library loaded again
        assert packed_command(functions.client, ("EXISTS", home_timeline_key(1))) == 1
    finally:
        restarted.stop()


def test_concurrent_threads_each_get_their_own_answers(redis_client):
    threads, rounds = 8, 200
    redis_client.mset({f"key{n}": n for n in range(threads)})

    def read_own(n: int) -> list[bytes]:
        return [packed_command(redis_client, ("GET", f"key{n}")) for _ in range(rounds)]

    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(read_own, range(threads)))  # an exception in a thread is raised here
    assert answers == [[str(n).encode()] * rounds for n in range(threads)]


def test_threads_that_come_and_go_neither_use_up_the_pool_nor_leave_connections_open(redis_url, redis_client):
    client = named_client(redis_url, "comers", max_connections=2)
    answers: list[object] = []
    for _ in range(5):  # more threads than the pool may make connections, one after another
        t = threading.Thread(target=lambda: answers.append(packed_command(client, ("PING",))))
        t.start()
        t.join()
    assert answers == [b"PONG"] * 5

    def ended_threads_closed() -> bool:  # one may stay: a pool keeps its idle connections
        gc.collect()
        return connections_named(redis_client, "comers") <= 1

    eventually(ended_threads_closed, timeout_s=10)


def test_a_collected_client_closes_its_threads_connections(redis_url, redis_client):
    client = named_client(redis_url, "collected")
    packed_command(client, ("PING",))
    assert connections_named(redis_client, "collected") == 1
    del client

    def closed() -> bool:
        gc.collect()
        return connections_named(redis_client, "collected") == 0

    eventually(closed, timeout_s=10)


def test_a_forked_child_talks_on_a_connection_of_its_own(redis_client):
    parent_id = client_id(redis_client)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its connection's id, never return into pytest
        code = 1
        try:
            os.write(write_end, str(client_id(redis_client)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        child_id = int(os.read(read_end, 64) or b"0")
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert child_id not in (0, parent_id)
    assert client_id(redis_client) == parent_id  # the child closed its copy of the socket, not the parent's
