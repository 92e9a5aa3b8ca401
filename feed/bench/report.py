"""The figures against their targets: a printed table and a flat JSON file.

A run on more than one store (or on Cassandra) also carries figures["stores"]:
store name -> the figures that depend on the store. The table shows those rows
once per store, suffixed "(sqlite)", "(cassandra)"; the JSON nests them under "stores".
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class Figure:
    """One row of the table: a JSON key, what it means, and its target (None: reported only)."""

    key: str
    label: str
    unit: str
    target: float | None = None
    better: str = ">="  # ">=": at least the target holds; "<=": at most

    def holds(self, measured: float) -> bool | None:
        if self.target is None:
            return None
        compare: Callable[[float, float], bool] = operator.ge if self.better == ">=" else operator.le
        return compare(measured, self.target)


FIGURES = [
    Figure("redis_zadd_ceiling_per_s", "Redis ceiling: pipelined ZADD, random keys", "ops/s"),
    Figure("fanout_deliveries_per_s", "fan-out: deliveries/s, one worker, full timelines", "/s"),
    Figure("fanout_ratio", "fan-out / ceiling", "", 0.5, ">="),
    Figure("read_rps", "reads: achieved rate (offered read_offered_rps; read replicas: read_replicas)", "req/s"),
    Figure("read_p50_ms", "reads: p50", "ms"),
    Figure("read_p99_ms", "reads: p99 at read_offered_rps offered", "ms", 10.0, "<="),
    Figure("read_p999_ms", "reads: p99.9", "ms"),
    Figure("read_rps_2000", "reads: achieved rate at 2,000 offered", "req/s", 1900.0, ">="),
    Figure("read_p99_ms_2000", "reads: p99 at 2,000 offered", "ms"),
    Figure("read_cpu_us_per_page", "reads: read-service CPU per page at read_cpu_rps offered", "us", 500.0, "<="),
    Figure("read_cpu_us_per_page_filtered", "reads, 100 filters + 20 mutes a reader: CPU per page, same rate", "us"),
    Figure("read_filtered_cpu_ratio", "filtered / unfiltered read CPU per page", "", 1.2, "<="),
    Figure("read_merge_rps", "merging reads (5 read-time authors, 2 groups): rate at read_merge_offered_rps", "req/s"),
    Figure("read_merge_p99_ms", "merging reads: p99 at read_merge_offered_rps offered", "ms"),
    Figure("read_merge_rps_2000", "merging reads: achieved rate at 2,000 offered", "req/s"),
    Figure(
        "read_merge_cpu_us_per_page",
        "merging reads: read-service CPU per page at read_merge_cpu_rps",
        "us",
        750.0,
        "<=",
    ),
    Figure("read_merge_cpu_us_per_page_at_1000", "merging reads: CPU per page at 1,000 offered", "us"),
    Figure("grpc_floor_cpu_us_per_call", "empty gRPC call: floor server CPU per call, same load (FLOOR)", "us"),
    Figure("grpc_floor_cpu_us_per_call_sync", "empty gRPC call: grpc.server, 2 threads", "us"),
    Figure("grpc_floor_cpu_us_per_call_aio", "empty gRPC call: grpc.aio on uvloop", "us"),
    Figure("read_floor_ratio", "floor / read CPU (1.0: a page costs an empty call)", "", 0.6, ">="),
    Figure("loadgen_cpu_us_per_call", "load generator (LOADGEN) CPU per read call (at read_cpu_rps offered)", "us"),
    Figure("loadgen_cpu_us_per_empty_call", "load generator (LOADGEN) CPU per empty call (floor run)", "us"),
    Figure("create_post_cpu_us", "CreatePost: write-service CPU per call (create_post_calls calls)", "us", 1e3, "<="),
    Figure("visible_p50_ms", "publish-to-visible p50, authors <= 1,000 followers", "ms"),
    Figure("visible_p99_ms", "publish-to-visible p99, authors <= 1,000 followers", "ms", 100.0, "<="),
    Figure("visible_p99_ms_10000", "publish-to-visible p99, 10,000 followers", "ms"),
    Figure("stream_visible_p50_ms", "publish-to-stream p50, 4 followers' streams, authors <= 1,000", "ms"),
    Figure("stream_visible_p99_ms", "publish-to-stream p99, 4 followers' streams, authors <= 1,000", "ms", 150.0, "<="),
    Figure("stream_rss_kib_per_stream", "read-process RSS per idle stream (10,000 open)", "KiB", 50.0, "<="),
    Figure("bytes_per_timeline_entry", "Redis bytes per timeline entry (full timelines)", "B", 16.0, "<="),
]
PER_STORE = ("create_post_cpu_us", "visible_p50_ms", "visible_p99_ms")  # rows shown once per store


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}" if value < 10 else f"{value:,.1f}"


def table(figures: dict[str, Any]) -> str:
    """The figures as an aligned text table: measured, target, and whether the target holds."""
    rows = [("figure", "measured", "target", "holds")]
    stores: dict[str, dict[str, Any]] = figures.get("stores", {})
    for fig in FIGURES:
        if stores and fig.key in PER_STORE:
            rows += [_row(fig, measured, f" ({name})") for name, measured in stores.items() if fig.key in measured]
        elif fig.key in figures:
            rows.append(_row(fig, figures, ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _row(fig: Figure, figures: dict[str, Any], suffix: str) -> tuple[str, str, str, str]:
    """One table row from figures (the run's, or one store's), its label placeholders filled in."""
    measured = figures[fig.key]
    label = fig.label.replace("read_offered_rps", _number(figures.get("read_offered_rps", 0)))
    label = label.replace("read_merge_offered_rps", _number(figures.get("read_merge_offered_rps", 0)))
    label = label.replace("read_merge_cpu_rps", _number(figures.get("read_merge_cpu_rps", 0)))
    label = label.replace("read_cpu_rps", _number(figures.get("read_cpu_rps", 0)))
    label = label.replace("read_replicas", _number(figures.get("read_replicas", 1)))
    label = label.replace("create_post_calls", f"{int(figures.get('create_post_calls', 0)):,}")
    label = label.replace("LOADGEN", str(figures.get("loadgen", "python")))  # their figures are not comparable
    label = label.replace("FLOOR", f"the cheaper: {figures.get('grpc_floor_model', 'sync')}")
    target = "" if fig.target is None else f"{fig.better} {_number(fig.target)} {fig.unit}".strip()
    verdict = {None: "", True: "yes", False: "NO"}[fig.holds(measured)]
    return label + suffix, f"{_number(measured)} {fig.unit}".strip(), target, verdict


def verdicts(figures: dict[str, Any]) -> dict[str, bool]:
    """target_KEY -> whether it holds, for every figure with a target that was measured."""
    return {f"target_{f.key}": bool(f.holds(figures[f.key])) for f in FIGURES if f.target and f.key in figures}


def write_json(path: Path, figures: dict[str, Any]) -> None:
    """Flat JSON: every scalar figure and verdict (raw latency lists stay out of it); a run on
    several stores adds "stores": {name: that store's scalar figures and verdicts}."""
    flat = _scalars(figures)
    if "stores" in figures:
        flat["stores"] = {name: _scalars(store) for name, store in figures["stores"].items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")


def _scalars(figures: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in figures.items() if not isinstance(v, list | dict)}
    flat.update(verdicts(figures))
    return flat
