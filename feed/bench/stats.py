"""Percentiles over recorded latencies: exact, nearest-rank, no histogram buckets.

Benchmarks here record at most a few hundred thousand samples per figure, so
keeping every sample is cheap and avoids the bucket error of a histogram at
the p99.9 a latency target is judged on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least pct% of samples at or below it.

    Nearest-rank never interpolates, so the answer is always a latency that was
    actually observed; 0.0 for no samples.
    """
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p99, p99.9 and max of latencies given in seconds, in milliseconds (3 decimals)."""
    ordered = sorted(seconds)
    out = {
        "p50_ms": percentile(ordered, 50),
        "p99_ms": percentile(ordered, 99),
        "p999_ms": percentile(ordered, 99.9),
        "max_ms": ordered[-1] if ordered else 0.0,
    }
    return {name: round(value * 1000, 3) for name, value in out.items()}
