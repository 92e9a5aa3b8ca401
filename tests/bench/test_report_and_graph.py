"""The bench's pure pieces: redis-benchmark output, the targets table, the graph, the worker-log window."""

from __future__ import annotations

import json

from feed.bench.ceiling import benchmark_args, parse_rps
from feed.bench.fanout_phase import batch_window
from feed.bench.graph import build_graph, followers_of, log_spaced
from feed.bench.report import table, verdicts, write_json

CSV = (
    '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms"\n'
    '"zadd bench:zadd:__rand_int__","543773.81","5.687","0.544","5.623"\n'
)


def test_the_ceiling_is_read_from_redis_benchmark_csv():
    assert parse_rps(CSV) == 543773.81


def test_the_ceiling_command_is_pipelined_zadd_on_random_keys():
    args = benchmark_args(6379, 1000)
    assert args[args.index("-P") + 1] == "64" and "-r" in args and "--csv" in args
    assert args[-4:] == ["zadd", "bench:zadd:__rand_int__", "__rand_int__", "__rand_int__"]


def test_the_table_says_which_targets_hold():
    figures = {"fanout_ratio": 0.62, "read_p99_ms": 14.0, "bytes_per_timeline_entry": 10.4, "read_offered_rps": 1000}
    text = table(figures)
    assert "0.62" in text and "yes" in text and "NO" in text
    assert verdicts(figures) == {
        "target_fanout_ratio": True,
        "target_read_p99_ms": False,
        "target_bytes_per_timeline_entry": True,
    }


def test_the_json_is_flat_and_leaves_raw_latencies_out(tmp_path):
    out = tmp_path / "bench.json"
    write_json(out, {"read_p99_ms": 4.0, "read_latencies_ms_at_250": [1.0, 2.0]})
    assert json.loads(out.read_text()) == {"read_p99_ms": 4.0, "target_read_p99_ms": True}


def test_follower_counts_are_log_spaced_from_end_to_end():
    assert log_spaced(100, 100_000, 4) == [100, 1000, 10_000, 100_000]


def test_followers_are_a_run_of_user_ids_that_wraps_around():
    graph = build_graph(users=1000, readers=10, fanout_authors=3, probes_per_size=1, background=2)
    biggest = graph.fanout[-1]
    assert biggest.followers == 1000
    assert sorted(followers_of(biggest, 1000)) == list(range(1, 1001))
    assert graph == build_graph(users=1000, readers=10, fanout_authors=3, probes_per_size=1, background=2)
    assert set(graph.probes) == {100, 1000}  # sizes above the user count are left out
    assert len({a.author_id for a in graph.all_authors()}) == len(graph.all_authors())


def test_the_fan_out_window_runs_from_the_first_batch_start_to_the_last_batch_end(tmp_path):
    log = tmp_path / "worker.log"
    lines = [
        {"ts": "2026-01-01T00:00:00.500Z", "msg": "batch applied", "deliveries": 9, "ms": 100.0},  # before the run
        {"ts": "2026-01-01T00:00:02.000Z", "msg": "batch applied", "deliveries": 100, "ms": 500.0},
        {"ts": "2026-01-01T00:00:02.100Z", "msg": "partitions assigned"},
        {"ts": "2026-01-01T00:00:03.000Z", "msg": "batch applied", "deliveries": 50, "ms": 900.0},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    since = 1767225601.0  # 2026-01-01T00:00:01Z
    first, last, batches, deliveries = batch_window(log, since)
    assert (batches, deliveries) == (2, 150)
    assert round(last - first, 3) == 1.5


def test_a_new_run_clears_only_what_an_earlier_run_left(tmp_path):
    from feed.commands.bench import clear_previous_run

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "worker.log").write_text("old")
    for name in ("feed.db", "feed.db-wal", "jwt.secret", "notes.txt"):
        (tmp_path / name).write_text("x")
    clear_previous_run(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_table_shows_the_read_cpu_against_the_grpc_floor_and_what_the_load_generator_costs():
    figures = {
        "read_offered_rps": 1000,
        "read_p99_ms": 31.0,
        "read_rps_2000": 1950.0,
        "read_cpu_rps": 2000,
        "read_cpu_us_per_page": 880.0,
        "grpc_floor_cpu_us_per_call": 330.0,
        "grpc_floor_model": "aio",
        "grpc_floor_cpu_us_per_call_sync": 360.0,
        "grpc_floor_cpu_us_per_call_aio": 330.0,
        "read_floor_ratio": 0.375,
        "loadgen_cpu_us_per_call": 310.0,
        "loadgen_cpu_us_per_empty_call": 240.0,
        "loadgen": "go",
    }
    rows = {line.split("  ")[0]: line for line in table(figures).splitlines()}
    assert rows["reads: p99 at 1,000 offered"].endswith("NO")
    assert rows["reads: achieved rate at 2,000 offered"].endswith("yes")
    assert "880.0 us" in rows["reads: read-service CPU per page at 2,000 offered"]
    assert rows["reads: read-service CPU per page at 2,000 offered"].endswith("NO")
    assert "330.0 us" in rows["empty gRPC call: floor server CPU per call, same load (the cheaper: aio)"]
    assert "360.0 us" in rows["empty gRPC call: grpc.server, 2 threads"]
    assert "0.375" in rows["floor / read CPU (1.0: a page costs an empty call)"]
    assert "310.0 us" in rows["load generator (go) CPU per read call (at 2,000 offered)"]  # which one ran
    assert verdicts(figures) == {
        "target_read_p99_ms": False,
        "target_read_rps_2000": True,
        "target_read_cpu_us_per_page": False,
        "target_read_floor_ratio": False,
    }
