"""Read latency at fixed offered rates: GetHomeTimeline, page size 20, hydrated, from full timelines.

The load comes from a separate process (feed.bench.loadgen), open loop, so the
read service is measured as a client sees it and the load generator's own work
does not run under the read service's GIL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

LOADGEN_SLACK_S = 30.0  # start-up, the last answers, printing


def start_loadgen(spec: dict[str, Any]) -> subprocess.Popen:
    """Start the load generator on a spec; collect its answer with loadgen_result."""
    args = [sys.executable, "-m", "feed.bench.loadgen", json.dumps(spec)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def loadgen_result(proc: subprocess.Popen, duration_s: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=duration_s + LOADGEN_SLACK_S)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode}):\n{err[-2000:]}")
    return json.loads(out)


def read_spec(base: dict[str, Any], rate: float, duration_s: float) -> dict[str, Any]:
    """A load generator spec: base (addresses, secret file, readers) at one read rate."""
    return {**base, "read_rate": rate, "duration_s": duration_s}


def warm_up(base: dict[str, Any], rate: float, duration_s: float) -> None:
    """Reads at a modest rate so the post cache holds the readers' posts, as in steady state."""
    loadgen_result(start_loadgen(read_spec(base, rate, duration_s)), duration_s)


def run_reads(base: dict[str, Any], rates: list[int], duration_s: float) -> dict:
    """One run per offered rate, lowest first; the highest rate gives the headline figures."""
    figures: dict[str, Any] = {}
    for rate in rates:
        spec = {**read_spec(base, rate, duration_s), "keep_latencies": True}
        result = loadgen_result(start_loadgen(spec), duration_s)["read"]
        figures[f"read_latencies_ms_at_{rate}"] = result.pop("latencies_ms")
        for name in ("achieved_rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "errors"):
            figures[f"read_{name}_at_{rate}"] = result[name]
    top = max(rates)
    figures.update(
        read_offered_rps=top,
        read_rps=figures[f"read_achieved_rps_at_{top}"],
        read_p50_ms=figures[f"read_p50_ms_at_{top}"],
        read_p99_ms=figures[f"read_p99_ms_at_{top}"],
        read_p999_ms=figures[f"read_p999_ms_at_{top}"],
        read_errors=figures[f"read_errors_at_{top}"],
    )
    return figures
