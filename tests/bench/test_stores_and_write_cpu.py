"""`feed bench --store`: CPU per CreatePost from /proc readings, the per-store figures, the lean graph."""

from __future__ import annotations

import json
import os
import threading

import pytest

from feed.bench.cpu import cpu_s
from feed.bench.graph import build_graph, lean_graph
from feed.bench.plan import PHASES, phases
from feed.bench.report import table, write_json
from feed.bench.run import store_figures
from feed.bench.write_cpu import cpu_per_call, cpu_us_per_call
from feed.commands.bench import STORES

TICK = os.sysconf("SC_CLK_TCK")


def write_stat(proc_root, pid: int, utime: int, stime: int) -> None:
    """A /proc/PID/stat line whose command name holds a space and a ')' (the parser must not split there)."""
    fields = ["S", *["0"] * 10, str(utime), str(stime), *["0"] * 30]  # utime, stime: fields 14 and 15
    (proc_root / str(pid)).mkdir(parents=True, exist_ok=True)
    (proc_root / str(pid) / "stat").write_text(f"{pid} (python -m feed) x) " + " ".join(fields) + "\n")


def test_cpu_time_is_user_plus_system_ticks_from_proc_stat(tmp_path):
    write_stat(tmp_path, 42, utime=3 * TICK, stime=TICK // 2)
    assert cpu_s(42, tmp_path) == pytest.approx(3.5)


def test_cpu_per_call_is_the_cpu_spent_between_two_readings_divided_by_the_calls(tmp_path):
    write_stat(tmp_path, 7, utime=TICK, stime=0)
    calls: list[int] = []
    lock = threading.Lock()

    def call(n: int) -> None:
        with lock:
            calls.append(n)
            if len(calls) == 300:  # the service spent 0.6 s of user and 0.3 s of system time meanwhile
                write_stat(tmp_path, 7, utime=TICK + int(0.6 * TICK), stime=int(0.3 * TICK))

    figure = cpu_per_call(call, 300, lambda: cpu_s(7, tmp_path))
    assert sorted(calls) == list(range(300))
    assert figure == pytest.approx(3000.0)  # 0.9 s / 300 calls = 3,000 us a call


def test_cpu_per_call_needs_a_call():
    assert cpu_us_per_call(1.0, 1.25, 1000) == 250.0
    with pytest.raises(ValueError):
        cpu_us_per_call(1.0, 2.0, 0)


def test_a_failed_call_fails_the_measurement():
    def call(n: int) -> None:
        if n == 5:
            raise RuntimeError("UNAVAILABLE")

    with pytest.raises(RuntimeError):
        cpu_per_call(call, 10, lambda: 0.0)


def test_the_store_option_names_the_stores_in_order_and_their_phases():
    assert STORES == {"sqlite": ("sqlite",), "cassandra": ("cassandra",), "both": ("sqlite", "cassandra")}
    assert phases(("sqlite",)) == PHASES
    on_cassandra = ["cassandra: setup", "cassandra: writes", "cassandra: visibility"]
    assert phases(("sqlite", "cassandra")) == PHASES + on_cassandra
    assert phases(("cassandra",)) == on_cassandra  # the whole graph would take half an hour to load


def test_only_the_figures_that_depend_on_the_store_are_kept_per_store():
    figures = {"create_post_cpu_us": 900.0, "visible_p99_ms": 40.0, "mixed_errors": 0, "read_p99_ms": 5.0}
    assert store_figures(figures) == {"create_post_cpu_us": 900.0, "visible_p99_ms": 40.0, "mixed_errors": 0}


TWO_STORES = {
    "read_p99_ms": 6.0,
    "create_post_cpu_us": 850.0,
    "visible_p99_ms": 40.0,
    "stores": {
        "sqlite": {
            "create_post_cpu_us": 850.0,
            "create_post_calls": 300,
            "visible_p50_ms": 12.0,
            "visible_p99_ms": 40.0,
        },
        "cassandra": {
            "create_post_cpu_us": 2400.0,
            "create_post_calls": 300,
            "visible_p50_ms": 30.0,
            "visible_p99_ms": 180.0,
        },
    },
}


def test_the_table_shows_the_store_figures_once_per_store_side_by_side():
    lines = table(TWO_STORES).splitlines()
    cpu = [line for line in lines if line.startswith("CreatePost")]
    assert [line.split("  ")[0] for line in cpu] == [
        "CreatePost: write-service CPU per call (300 calls) (sqlite)",
        "CreatePost: write-service CPU per call (300 calls) (cassandra)",
    ]
    assert "850.0 us" in cpu[0] and "2,400 us" in cpu[1]
    p99 = [line for line in lines if "publish-to-visible p99, authors" in line]
    assert len(p99) == 2 and p99[0].endswith("yes") and p99[1].endswith("NO") and "(cassandra)" in p99[1]
    assert sum("reads: p99" in line for line in lines) == 1  # measured on the first store only


def test_a_single_store_run_has_one_unsuffixed_row_per_figure():
    text = table({"create_post_cpu_us": 850.0, "create_post_calls": 300, "visible_p99_ms": 40.0})
    assert "CreatePost: write-service CPU per call (300 calls)  850.0 us" in text
    assert "(sqlite)" not in text


def test_the_json_nests_each_store_with_its_own_verdicts(tmp_path):
    out = tmp_path / "bench.json"
    write_json(out, TWO_STORES)
    data = json.loads(out.read_text())
    assert data["create_post_cpu_us"] == 850.0 and data["target_visible_p99_ms"] is True
    assert data["stores"]["sqlite"]["target_create_post_cpu_us"] is True  # at most 1,000 us a call
    assert data["stores"]["cassandra"] == {
        "create_post_cpu_us": 2400.0,
        "create_post_calls": 300,
        "visible_p50_ms": 30.0,
        "visible_p99_ms": 180.0,
        "target_visible_p99_ms": False,
        "target_create_post_cpu_us": False,
    }


def test_the_lean_graph_keeps_the_probes_of_the_target_scope_and_few_callers():
    graph = build_graph(users=100_000, readers=2_000, fanout_authors=16, probes_per_size=5, background=50)
    lean = lean_graph(graph)
    assert lean.fanout == [] and set(lean.probes) == {100, 1000}
    assert lean.probes[1000][0] == graph.probes[1000][0]  # the same authors and followers as the whole run's
    assert all(a.followers <= 20 for a in lean.background) and len(lean.background) == len(graph.background)
    assert lean.readers == 50 and all(a.followers == 50 for a in lean.prefill)
    edges = sum(a.followers for a in lean.all_authors())
    assert edges < 6_000  # each one a lightweight transaction on Cassandra
