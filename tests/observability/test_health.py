"""gRPC health and /healthz follow readiness: NOT_SERVING while Redis does not answer, SERVING after."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from feed.telemetry.scrape import scrape, value
from services.server import LIVENESS
from tests.integration.stack import eventually, private_stack

pytestmark = pytest.mark.integration
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICES = {"write": ["", "feed.v1.PostService", "feed.v1.GraphService"], "read": ["", "feed.v1.FeedService"]}


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    """A stack of its own: freezing its Redis must not disturb the other tests."""
    with private_stack(tmp_path_factory, "health") as running:
        yield running


def statuses(stack) -> set[int]:
    """The health status of every service name on both servers."""
    seen = set()
    for role, names in SERVICES.items():
        with grpc.insecure_channel(getattr(stack.settings, f"{role}_addr")) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for name in names:
                seen.add(stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status)
    return seen


def liveness(stack) -> set[int]:
    seen = set()
    for role in SERVICES:
        with grpc.insecure_channel(getattr(stack.settings, f"{role}_addr")) as channel:
            request = health_pb2.HealthCheckRequest(service=LIVENESS)
            seen.add(health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status)
    return seen


def healthz(proc) -> tuple[int, dict]:
    url = proc.metrics_url.replace("/metrics", "/healthz")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def redis_up_everywhere(stack) -> set[float]:
    procs = [p for p in stack.processes if p.metrics_url]
    return {value(scrape(p.metrics_url), "feed_dependency_up", dependency="redis") for p in procs}


def test_health_goes_not_serving_while_redis_hangs_and_serving_when_it_answers(own_stack):
    redis_proc = next(p for p in own_stack.processes if p.name == "redis")
    worker = next(p for p in own_stack.processes if p.name.startswith("fan-out"))
    assert statuses(own_stack) == {SERVING}
    assert healthz(worker) == (200, {"status": "ok", "dependencies": dict.fromkeys(["kafka", "redis", "store"], "up")})

    redis_proc.signal(signal.SIGSTOP)  # connections open, nothing answers: the hard case
    try:
        eventually(lambda: statuses(own_stack) == {NOT_SERVING}, timeout_s=15, interval_s=0.2)
        eventually(lambda: redis_up_everywhere(own_stack) == {0.0}, timeout_s=5, interval_s=0.2)
        assert liveness(own_stack) == {SERVING}  # hung dependency: not ready, but alive (no restart)
        code, body = healthz(worker)
        assert code == 503 and body["dependencies"]["redis"] == "down" and body["dependencies"]["store"] == "up"
    finally:
        redis_proc.signal(signal.SIGCONT)

    eventually(lambda: statuses(own_stack) == {SERVING}, timeout_s=15, interval_s=0.2)
    eventually(lambda: redis_up_everywhere(own_stack) == {1.0}, timeout_s=5, interval_s=0.2)
    assert healthz(worker)[0] == 200
