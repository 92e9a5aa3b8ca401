"""CPU accounting of `feed bench`: /proc readings of real processes, the gRPC floor server, and the
read and floor runs' figures from a tiny real run of the load generator against floor servers."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import grpc
import pytest

from feed.access.tokens import ensure_local_secret
from feed.bench import reads
from feed.bench.cpu import cpu_s, total_cpu_s, us_per_call
from feed.bench.grpc_floor import MODELS
from feed.bench.reads import HEADLINE_RPS, cheapest_floor, floor_ratio, run_floor, run_reads
from feed.bench.report import write_json
from feed.devstack.procs import ManagedProcess, free_port, wait_until_listening
from feed.v1 import feed_service_pb2, feed_service_pb2_grpc

pytestmark = pytest.mark.integration

BURN_S = 0.5
# Burn CPU until the child's own clock says BURN_S, say so, then sit idle until stdin closes.
BURNER = f"import sys, time\nwhile time.process_time() < {BURN_S}: pass\nprint('burnt', flush=True)\nsys.stdin.read()"


def start_burner() -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "burnt\n"
    return child


def test_a_child_that_burnt_half_a_second_of_cpu_reads_as_half_a_second():
    children = [start_burner(), start_burner()]
    try:
        for child in children:
            assert cpu_s(child.pid) == pytest.approx(BURN_S, abs=0.1)  # the clock tick is 10 ms
        assert total_cpu_s(c.pid for c in children) == pytest.approx(2 * BURN_S, abs=0.2)
        idle_before = cpu_s(children[0].pid)
        time.sleep(0.3)  # idle children: their CPU must not grow with wall-clock time
        assert cpu_s(children[0].pid) - idle_before < 0.05
    finally:
        for child in children:
            child.communicate("")


def test_cpu_per_call_is_in_microseconds_and_zero_without_calls():
    assert us_per_call(0.5, 1000) == 500.0
    assert us_per_call(0.5, 0) == 0.0


@pytest.fixture(params=MODELS)
def floor_servers(tmp_path, request):
    """Two floor servers of one model, as the bench starts them for two read replicas: [(process, address)]."""
    servers = []
    for n in range(2):
        addr = f"127.0.0.1:{free_port()}"
        args = [sys.executable, "-m", "feed.bench.grpc_floor", addr, "--model", request.param]
        servers.append((ManagedProcess(f"floor {n}", args, tmp_path / f"floor-{n}.log"), addr))
    try:
        for proc, addr in servers:
            wait_until_listening(addr, 30, proc)
        yield servers
    finally:
        for proc, _ in servers:
            proc.stop()


def test_the_floor_server_answers_any_unary_call_empty_and_stops_cleanly_on_sigterm(floor_servers):
    proc, addr = floor_servers[0]
    with grpc.insecure_channel(addr) as channel:
        raw = channel.unary_unary("/any.Service/AnyMethod")  # no serializers: bytes in, bytes out
        assert raw(b"\x08\x01", timeout=5) == b""
        page = feed_service_pb2_grpc.FeedServiceStub(channel).GetHomeTimeline(
            feed_service_pb2.GetHomeTimelineRequest(user_id=1, page_size=20), timeout=5
        )
        assert list(page.posts) == [] and page.next_page_token == ""
    assert proc.stop() == 0


@pytest.fixture
def base(tmp_path):
    """A load generator spec's base, as the bench builds it; the floor servers need no token, but get one."""
    secret = tmp_path / "jwt.secret"
    ensure_local_secret(secret)
    return {"secret_file": str(secret), "tokens_issued_at": int(time.time()), "readers": list(range(1, 101))}


def test_the_floor_run_reports_the_servers_and_the_load_generators_cpu_per_call(floor_servers, base):
    addrs, pids = [addr for _, addr in floor_servers], [proc.pid for proc, _ in floor_servers]
    figures = run_floor(base, 300, 1.0, addrs, pids)
    assert figures["grpc_floor_errors"] == 0
    assert figures["grpc_floor_cpu_us_per_call"] > 0
    assert figures["loadgen_cpu_us_per_empty_call"] > 0


def test_a_read_run_reports_latency_at_the_target_rate_and_cpu_per_page_at_the_highest(floor_servers, base, tmp_path):
    # The floor servers stand in for read replicas: they answer GetHomeTimeline with empty pages.
    pids = [proc.pid for proc, _ in floor_servers]
    figures = run_reads({**base, "read_addrs": [a for _, a in floor_servers]}, [HEADLINE_RPS, 2000], 0.5, pids)
    assert figures["read_offered_rps"] == HEADLINE_RPS and figures["read_p99_ms"] == figures["read_p99_ms_1000"]
    assert figures["read_cpu_rps"] == 2000
    assert figures["read_cpu_us_per_page"] == figures["read_cpu_us_per_page_at_2000"] > 0
    assert figures["read_rps_2000"] > 0 and figures["read_p99_ms_2000"] > 0
    assert figures["loadgen_cpu_us_per_call"] > 0
    figures.update(grpc_floor_cpu_us_per_call=figures["read_cpu_us_per_page"] / 2)
    figures.update(floor_ratio(figures))
    assert figures["read_floor_ratio"] == 0.5
    out = tmp_path / "bench.json"
    write_json(out, figures)
    written = json.loads(out.read_text())
    for key in ("read_cpu_us_per_page", "read_rps_2000", "read_p99_ms_2000", "loadgen_cpu_us_per_call"):
        assert written[key] > 0, key
    assert "target_read_rps_2000" in written and "target_read_cpu_us_per_page" in written


def _floor(cpu_us: float, errors: int = 0) -> dict[str, float]:
    return {"grpc_floor_cpu_us_per_call": cpu_us, "grpc_floor_errors": errors, "loadgen_cpu_us_per_empty_call": 100.0}


def test_the_floor_is_the_cheaper_model_that_answered_every_call_and_each_models_figure_is_kept():
    floor = cheapest_floor({"sync": _floor(340.0), "aio": _floor(300.0)})
    assert floor["grpc_floor_model"] == "aio" and floor["grpc_floor_cpu_us_per_call"] == 300.0
    assert floor["grpc_floor_cpu_us_per_call_sync"] == 340.0 and floor["grpc_floor_cpu_us_per_call_aio"] == 300.0
    # A model that failed calls (overloaded) is not the floor, however little its answered calls cost.
    floor = cheapest_floor({"sync": _floor(340.0), "aio": _floor(200.0, errors=12)})
    assert floor["grpc_floor_model"] == "sync" and floor["grpc_floor_errors"] == 0
    assert cheapest_floor({}) == {}


def test_no_floor_ratio_without_both_figures():
    assert floor_ratio({"read_cpu_us_per_page": 800.0}) == {}
    assert floor_ratio({"read_cpu_us_per_page": 0.0, "grpc_floor_cpu_us_per_call": 300.0}) == {}


def test_a_load_generator_that_overruns_its_time_is_stopped_not_left_loading_the_services(monkeypatch):
    monkeypatch.setattr(reads, "LOADGEN_SLACK_S", 0.5)
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            reads.loadgen_result(stuck, 0.0)
        assert stuck.poll() is not None
    finally:
        stuck.kill()
        stuck.wait()
