"""Read latency and CPU per page at fixed offered rates: GetHomeTimeline, page size 20, hydrated,
from full timelines; and the same load against the floor of a Python gRPC server (feed.bench.grpc_floor).

The load comes from a separate process, open loop, so the read service is measured as a
client sees it and the load generator's own work does not run under the read service's GIL:
the Go load generator (loadgen/, feed/bench/go_loadgen.py), which leaves the services more of
the machine's two cores, or feed.bench.loadgen; both print the same JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from feed.bench import go_loadgen
from feed.bench.cpu import us_per_call

LOADGEN_SLACK_S = 60.0  # start-up, the last answers, printing; and a starved load generator falling behind
HEADLINE_RPS = 1000  # the offered rate of the read latency target (docs/performance.md)


def start_loadgen(spec: dict[str, Any]) -> subprocess.Popen:
    """Start the load generator (go_loadgen.chosen()) on a spec; collect its answer with loadgen_result."""
    if go_loadgen.chosen() == "go":
        return go_loadgen.start(spec)
    args = [sys.executable, "-m", "feed.bench.loadgen", json.dumps(spec)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def loadgen_result(proc: subprocess.Popen, duration_s: float) -> dict[str, Any]:
    try:
        out, err = proc.communicate(timeout=duration_s + LOADGEN_SLACK_S)
    except subprocess.TimeoutExpired:
        proc.kill()  # else it keeps loading the services through the phases that follow
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode}):\n{err[-2000:]}")
    return json.loads(out)


def read_spec(base: dict[str, Any], rate: float, duration_s: float) -> dict[str, Any]:
    """A load generator spec: base (addresses, secret file, readers) at one read rate."""
    return {**base, "read_rate": rate, "duration_s": duration_s}


def warm_up(base: dict[str, Any], rate: float, duration_s: float) -> None:
    """Reads at a modest rate so the post cache holds the readers' posts, as in steady state."""
    loadgen_result(start_loadgen(read_spec(base, rate, duration_s)), duration_s)


def run_reads(base: dict[str, Any], rates: list[int], duration_s: float, read_pids: list[int]) -> dict:
    """One run per offered rate, lowest first, with the read replicas' CPU (read_pids) per page served.

    The latency headline (read_rps, read_p99_ms...) is at HEADLINE_RPS, the rate of the latency
    target; the CPU headline at the highest rate, where per-page costs matter most."""
    figures: dict[str, Any] = {"loadgen": go_loadgen.chosen()}  # "go" or "python": which one measured
    for rate in rates:
        spec = {**read_spec(base, rate, duration_s), "keep_latencies": True, "cpu_pids": read_pids}
        answer = loadgen_result(start_loadgen(spec), duration_s)
        result = answer["read"]
        figures[f"read_latencies_ms_at_{rate}"] = result.pop("latencies_ms")
        for name in ("achieved_rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "errors"):
            figures[f"read_{name}_at_{rate}"] = result[name]
        figures[f"read_cpu_us_per_page_at_{rate}"] = us_per_call(answer["cpu"]["servers_s"], result["ok"])
        figures[f"loadgen_cpu_us_per_call_at_{rate}"] = loadgen_cpu_us(answer)
    for rate in (HEADLINE_RPS, max(rates)):
        if rate in rates:
            figures[f"read_rps_{rate}"] = figures[f"read_achieved_rps_at_{rate}"]
            figures[f"read_p99_ms_{rate}"] = figures[f"read_p99_ms_at_{rate}"]
    headline = HEADLINE_RPS if HEADLINE_RPS in rates else max(rates)
    figures.update(
        read_offered_rps=headline,
        read_rps=figures[f"read_achieved_rps_at_{headline}"],
        read_p50_ms=figures[f"read_p50_ms_at_{headline}"],
        read_p99_ms=figures[f"read_p99_ms_at_{headline}"],
        read_p999_ms=figures[f"read_p999_ms_at_{headline}"],
        read_errors=figures[f"read_errors_at_{headline}"],
        read_cpu_rps=max(rates),
        read_cpu_us_per_page=figures[f"read_cpu_us_per_page_at_{max(rates)}"],
        loadgen_cpu_us_per_call=figures[f"loadgen_cpu_us_per_call_at_{max(rates)}"],
    )
    return figures


def run_floor(base: dict[str, Any], rate: int, duration_s: float, addrs: list[str], pids: list[int]) -> dict:
    """The same load generator at the same rate against the floor servers (feed.bench.grpc_floor):
    their CPU per call, and the load generator's own when every answer is empty."""
    spec = {**read_spec(base, rate, duration_s), "read_addrs": addrs, "cpu_pids": pids}
    answer = loadgen_result(start_loadgen(spec), duration_s)
    return {
        "grpc_floor_cpu_us_per_call": us_per_call(answer["cpu"]["servers_s"], answer["read"]["ok"]),
        "grpc_floor_errors": answer["read"]["errors"],
        "loadgen_cpu_us_per_empty_call": loadgen_cpu_us(answer),
    }


def loadgen_cpu_us(answer: dict[str, Any]) -> float:
    """The load generator's CPU per call it sent (answered or failed: sending and timing cost either way)."""
    sent = sum(answer[name]["ok"] + answer[name]["errors"] for name in answer if name != "cpu")
    return us_per_call(answer["cpu"]["loadgen_s"], sent)


def cheapest_floor(by_model: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The floor of a run: of run_floor's figures for each server model (feed.bench.grpc_floor.MODELS),
    the model answering every call for the least CPU a call (one that failed calls only when all did),
    its name as grpc_floor_model, and every model's figure as grpc_floor_cpu_us_per_call_MODEL."""
    if not by_model:
        return {}
    rank = {
        m: (f["grpc_floor_errors"] > 0, f["grpc_floor_cpu_us_per_call"] or float("inf")) for m, f in by_model.items()
    }
    model = min(by_model, key=rank.__getitem__)
    out: dict[str, Any] = {**by_model[model], "grpc_floor_model": model}
    for name, figures in by_model.items():
        out[f"grpc_floor_cpu_us_per_call_{name}"] = figures["grpc_floor_cpu_us_per_call"]
    return out


def floor_ratio(figures: dict[str, Any]) -> dict[str, float]:
    """read_floor_ratio: an empty call's CPU over a page's (1.0: a page costs no more than an empty call)."""
    page, floor = figures.get("read_cpu_us_per_page", 0.0), figures.get("grpc_floor_cpu_us_per_call", 0.0)
    return {"read_floor_ratio": round(floor / page, 3)} if page > 0 and floor > 0 else {}
