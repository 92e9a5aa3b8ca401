"""One PNG of a run: throughput against the ceiling, read latency per offered rate, visibility, memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file

import matplotlib.pyplot as plt


def plot(figures: dict[str, Any], path: Path) -> None:
    """Draw the four panels into path (PNG)."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    _throughput(axes[0][0], figures)
    _reads(axes[0][1], figures)
    _visibility(axes[1][0], figures)
    _memory(axes[1][1], figures)
    fig.suptitle("feed bench")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _throughput(ax, figures: dict[str, Any]) -> None:
    names = ["ZADD ceiling", "fan-out worker"]
    values = [figures.get("redis_zadd_ceiling_per_s", 0), figures.get("fanout_deliveries_per_s", 0)]
    ax.bar(names, values, color=["grey", "tab:blue"])
    ax.axhline(values[0] * 0.5, color="tab:red", linestyle="--", label="target: half the ceiling")
    ax.set_ylabel("timeline writes per second")
    ax.set_title(f"fan-out ratio {figures.get('fanout_ratio', 0):.2f}")
    ax.legend()


def _reads(ax, figures: dict[str, Any]) -> None:
    rates = sorted(int(k.rsplit("_", 1)[1]) for k in figures if k.startswith("read_latencies_ms_at_"))
    for rate in rates:
        samples = sorted(figures[f"read_latencies_ms_at_{rate}"])
        if samples:
            share = [1 - (i + 0.5) / len(samples) for i in range(len(samples))]
            ax.plot(samples, share, label=f"{rate} req/s offered")
    merging = sorted(figures.get("read_merge_latencies_ms", []))
    if merging:  # readers of 5 read-time authors and 2 read-time groups
        share = [1 - (i + 0.5) / len(merging) for i in range(len(merging))]
        ax.plot(merging, share, "k--", label=f"{figures['read_merge_offered_rps']} req/s, 7 read-time sources")
    ax.axvline(10, color="tab:red", linestyle="--", label="p99 target 10 ms")
    ax.axhline(0.01, color="grey", linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("GetHomeTimeline latency (ms, from the due time)")
    ax.set_ylabel("share of requests slower")
    ax.set_title("reads, open loop")
    ax.legend(fontsize="small")


def _visibility(ax, figures: dict[str, Any]) -> None:
    sizes = sorted(int(k.rsplit("_", 1)[1]) for k in figures if k.startswith("visible_p99_ms_"))
    labels = [f"{s:,}" for s in sizes]
    xs = range(len(sizes))
    ax.bar([x - 0.2 for x in xs], [figures[f"visible_p50_ms_{s}"] for s in sizes], 0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], [figures[f"visible_p99_ms_{s}"] for s in sizes], 0.4, label="p99")
    ax.axhline(100, color="tab:red", linestyle="--", label="p99 target (<= 1,000 followers)")
    ax.set_xticks(list(xs), labels)
    ax.set_xlabel("author's followers")
    ax.set_ylabel("publish to visible (ms)")
    ax.set_title("visibility under mixed load")
    ax.legend(fontsize="small")


def _memory(ax, figures: dict[str, Any]) -> None:
    ax.bar(["bytes per entry"], [figures.get("bytes_per_timeline_entry", 0)], color="tab:green")
    ax.axhline(16, color="tab:red", linestyle="--", label="target 16 B")
    ax.set_title("Redis memory, full timelines")
    ax.legend()
