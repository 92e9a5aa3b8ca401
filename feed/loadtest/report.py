"""What a replay shows a person: a summary table on the terminal and PNG plots over time."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

COLUMNS = ("count", "errors", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")


def summary_table(result: dict[str, Any]) -> str:
    """One row per RPC and a total line, then visibility and the client's own lag."""
    rows = [("rpc", *COLUMNS)]
    for rpc, s in result["by_rpc"].items():
        rows.append((rpc, *(_fmt(s[c]) for c in COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    v, lag = result["visibility"], result["send_lag"]
    lines += [
        "",
        f"{result['requests']} requests in {result['duration_s']:.1f} s ({result['throughput_rps']:.0f}/s), "
        f"{result['errors']} errors, {result['skipped']} skipped",
        f"publish-to-visible: {v['samples']} samples, p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms, "
        f"{v['timeouts']} timed out",
        f"send lag (how late the replayer itself sent): p99 {lag['p99_ms']:.1f} ms, max {lag['max_ms']:.1f} ms",
    ]
    if result["concurrency_waits"]:
        lines.append(
            f"  {result['concurrency_waits']} sends waited for a free slot: --concurrency was full, the stack "
            "did not keep up (latencies include the wait, as a real client's would)"
        )
    elif lag["p99_ms"] > 10:
        lines.append("  the replayer itself fell behind its schedule (CPU): latencies include that wait")
    for rpc, s in result["by_rpc"].items():
        for code, n in s["errors_by_code"].items():
            lines.append(f"  {rpc}: {n} x {code}")
    return "\n".join(lines)


def _fmt(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.2f}"


def write_plots(result: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """latency.png (p50/p90/p99/max per window, one panel per RPC) and throughput.png; return the paths."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    series: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in result["windows"]:
        s = series[row["rpc"]]
        for key in ("t_s", "count", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms"):
            s[key].append(row[key])
    rpcs = sorted(series)
    paths = [out / "latency.png", out / "throughput.png"]
    cols = 3
    rows = max(1, -(-len(rpcs) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False, sharex=True)
    for ax, rpc in zip(axes.flat, rpcs, strict=False):
        s = series[rpc]
        for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms"):
            ax.plot(s["t_s"], s[key], label=key.removesuffix("_ms"), linewidth=1)
        ax.set_title(rpc, fontsize=10)
        ax.set_yscale("log")
        ax.set_ylabel("ms from due time")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(rpcs) :]:
        ax.axis("off")
    if rpcs:
        axes.flat[0].legend(fontsize=8)
    fig.suptitle("latency per window (measured from each request's due time)")
    fig.tight_layout()
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)

    window = result["options"]["window_s"]
    fig, ax = plt.subplots(figsize=(10, 4))
    for rpc in rpcs:
        s = series[rpc]
        ax.plot(s["t_s"], [c / window for c in s["count"]], label=rpc, linewidth=1)
    totals: dict[float, float] = defaultdict(float)
    errors: dict[float, float] = defaultdict(float)
    for row in result["windows"]:
        totals[row["t_s"]] += row["count"] / window
        errors[row["t_s"]] += row["errors"] / window
    ts = sorted(totals)
    ax.plot(ts, [totals[t] for t in ts], label="total", color="black", linewidth=1.5)
    if any(errors.values()):
        ax.plot(ts, [errors[t] for t in ts], label="errors", color="red", linewidth=1.5)
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("answers per second")
    ax.set_title("throughput")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=100)
    plt.close(fig)
    return paths
