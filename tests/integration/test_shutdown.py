"""Every process exits 0 on SIGTERM, with its work finished and its offsets committed."""

from __future__ import annotations

import dataclasses
import math
import random
import signal
import subprocess
import threading
import time

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition

from feed.devstack.procs import (
    ManagedProcess,
    free_port,
    start_feed,
    wait_until_listening,
    wait_until_workers_own_partitions,
)
from tests.integration.stack import Client, eventually, new_user

pytestmark = [pytest.mark.integration, pytest.mark.fault]


def spawn(name: str, args: list[str], settings, tmp_path, **env: str) -> ManagedProcess:
    return start_feed(name, args, tmp_path / f"{name}.log", {**settings.env(), **env})


def committed_and_end(settings, group: str) -> tuple[dict, dict]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = [TopicPartition(settings.events_topic, p) for p in range(settings.events_partitions)]
        end = consumer.end_offsets(parts)
        committed = {tp: consumer.committed(tp) or 0 for tp in parts}
        return committed, end
    finally:
        consumer.close(autocommit=False)


@pytest.fixture(params=["tansu", "kafka"])
def broker_stack(request):
    """(stack, client) on the broker the test id names: Tansu, or Apache Kafka."""
    if request.param == "tansu":
        return request.getfixturevalue("stack"), request.getfixturevalue("client")
    return request.getfixturevalue("kafka_stack"), request.getfixturevalue("kafka_client")


def test_worker_commits_everything_it_consumed_and_exits_0_on_sigterm(broker_stack, tmp_path):
    stack, client = broker_stack
    group = f"shutdown-test-{new_user()}"  # its own group: it reads the whole topic
    author = new_user()
    for i in range(20):
        client.post(author, f"p{i}")
    worker = spawn("worker", ["worker"], stack.settings, tmp_path, FEED_CONSUMER_GROUP=group)
    try:
        wait_until_workers_own_partitions([worker], stack.settings.events_partitions, 60)
        eventually(lambda: caught_up(*committed_and_end(stack.settings, group)), timeout_s=30)
        for i in range(20):  # more work arrives, then the stop signal lands mid-stream
            client.post(author, f"late {i}")
        worker.signal(signal.SIGTERM)
        worker.proc.wait(30)
    finally:
        code = worker.stop()
    assert code == 0, worker.tail()
    committed, end = committed_and_end(stack.settings, group)
    consumed = sum(committed.values())
    assert consumed >= sum(end.values()) - 20  # at most the late events are left for the next owner
    assert "worker stopped" in worker.log_path.read_text()


def caught_up(committed: dict, end: dict) -> bool:
    # >=, not ==: Tansu reports some partitions' end offset one below the next record's offset.
    return all(committed[tp] >= end[tp] for tp in end)


def test_write_service_finishes_in_flight_calls_and_exits_0_on_sigterm(stack, tmp_path):
    addr = f"127.0.0.1:{free_port()}"
    settings = dataclasses.replace(stack.settings, write_addr=addr)
    service = spawn("write", ["serve", "write"], settings, tmp_path)
    acknowledged: list[int] = []
    author = new_user()
    try:
        wait_until_listening(addr, 60, service)
        client = Client(addr, stack.settings.read_addr, stack.keys)
        stop = threading.Event()

        def keep_writing() -> None:
            while not stop.is_set():
                try:
                    acknowledged.append(client.post(author, "in flight").post_id)
                except grpc.RpcError:
                    return  # the server stopped taking new calls

        writer = threading.Thread(target=keep_writing)
        writer.start()
        eventually(lambda: len(acknowledged) >= 10)
        service.signal(signal.SIGTERM)
        code = service.proc.wait(30)
        stop.set()
        writer.join()
        client.close()
    finally:
        code = service.stop()
    assert code == 0, service.tail()
    # Every acknowledged post is durable and was published, so its author sees it.
    reader = Client(stack.settings.write_addr, stack.settings.read_addr, stack.keys)
    try:
        eventually(lambda: set(acknowledged) <= set(reader.home_ids(author)), timeout_s=20)
        stored = {p.post_id for p in reader.user_timeline(author, 100).posts}
        assert set(acknowledged) <= stored
    finally:
        reader.close()


def test_read_service_exits_0_on_sigterm(stack, tmp_path):
    addr = f"127.0.0.1:{free_port()}"
    settings = dataclasses.replace(stack.settings, read_addr=addr, stream_addr=f"127.0.0.1:{free_port()}")
    service = spawn("read", ["serve", "read"], settings, tmp_path)
    try:
        wait_until_listening(addr, 60, service)
        client = Client(stack.settings.write_addr, addr, stack.keys)
        assert client.home(new_user()).posts == []
        client.close()
        started = time.monotonic()
        service.signal(signal.SIGTERM)
        service.proc.wait(30)
        assert time.monotonic() - started < 15
    finally:
        code = service.stop()
    assert code == 0, service.tail()


RANDOM_MOMENTS = 12  # per kind of process; each run starts a fresh process
AT_ONCE = 6  # processes started side by side, each signalled at its own moment
EARLIEST_MOMENT_S, LATEST_MOMENT_S = 0.001, 4.0  # from exec, through start-up, into the first loop turns


def random_moments(seed: int, count: int) -> list[float]:
    """Seconds after the start, spread evenly on a log scale: the first milliseconds (the
    interpreter, imports, handlers not yet installed) get as many tries as the steady loop."""
    rng = random.Random(seed)
    low, high = math.log(EARLIEST_MOMENT_S), math.log(LATEST_MOMENT_S)
    return sorted(math.exp(rng.uniform(low, high)) for _ in range(count))


@pytest.mark.parametrize("kind", ["worker", "read service", "web gateway"])
def test_a_sigterm_at_any_moment_of_a_process_stops_it_with_exit_0_within_its_grace(stack, tmp_path, kind):
    seed = random.randrange(1 << 30)
    moments = random_moments(seed, RANDOM_MOMENTS)
    for first in range(0, RANDOM_MOMENTS, AT_ONCE):
        batch = moments[first : first + AT_ONCE]
        procs = [start_anew(kind, stack.settings, tmp_path, n) for n in range(first, first + len(batch))]
        started = time.monotonic()
        try:
            signalled = []
            for proc, moment in zip(procs, batch, strict=True):
                time.sleep(max(0.0, started + moment - time.monotonic()))  # the random moment itself
                proc.signal(signal.SIGTERM)
                signalled.append(time.monotonic())
            for proc, moment, at in zip(procs, batch, signalled, strict=True):
                try:
                    code = proc.proc.wait(max(0.0, at + STOP_WITHIN_S[kind] - time.monotonic()))
                except subprocess.TimeoutExpired:  # its log says which step of the shutdown it was in
                    raise AssertionError(
                        f"seed {seed}, SIGTERM at {moment:.3f} s: {proc.name} did not stop within "
                        f"{STOP_WITHIN_S[kind]} s\n{proc.tail()}"
                    ) from None
                assert code == 0, f"seed {seed}, SIGTERM at {moment:.3f} s: {proc.name} exited {code}\n{proc.tail()}"
        finally:
            for proc in procs:
                proc.stop(1)


# the worker commits and leaves its group
STOP_WITHIN_S = {"worker": 30.0, "read service": 15.0, "web gateway": 15.0}


def start_anew(kind: str, settings, tmp_path, n: int) -> ManagedProcess:
    """A fresh worker (a consumer group of its own: the stack's group never rebalances), read
    service or web gateway (a port of its own)."""
    if kind == "worker":
        return spawn(f"worker-{n}", ["worker"], settings, tmp_path, FEED_CONSUMER_GROUP=f"anytime-{new_user()}")
    if kind == "web gateway":
        return spawn(f"web-{n}", ["serve", "web"], settings, tmp_path, FEED_WEB_ADDR=f"127.0.0.1:{free_port()}")
    ports = {"FEED_READ_ADDR": f"127.0.0.1:{free_port()}", "FEED_STREAM_ADDR": f"127.0.0.1:{free_port()}"}
    return spawn(f"read-{n}", ["serve", "read"], settings, tmp_path, **ports)
