"""What one benchmark run does: its sizes and durations (Plan, QUICK) and its phases in order."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes and durations of a run; QUICK trades precision for time."""

    users: int = 100_000
    readers: int = 2_000
    fanout_authors: int = 16
    rounds: int = 5  # posts per fan-out author in one burst (about 1.35 million deliveries)
    fanout_repeats: int = 3
    ceiling_requests: int = 1_000_000  # per ceiling run; one run before each fan-out burst
    read_rates: tuple[int, ...] = (250, 500, 750, 1000, 2000)  # the highest also drives the gRPC floor
    read_seconds: float = 10.0
    warmup_seconds: float = 3.0
    visible_seconds: float = 30.0
    probe_every_s: float = 0.1
    probes_per_size: int = 5
    mixed_read_rate: float = 200.0
    mixed_post_rate: float = 10.0
    memory_sample: int = 500
    create_post_calls: int = 1_000  # CreatePost calls whose write-service CPU is averaged
    # Read service processes in the read phase (the visibility phase runs one), each on its own
    # port, balanced round robin by the client: one Python process cannot use much more than
    # one core, and the machine has two (docs/performance.md).
    read_replicas: int = 2
    # Readers of 5 read-time authors and 2 read-time groups (feed/bench/merge_reads.py), read as the
    # others are: latency at the first rate (the latency target's), CPU per page at the highest.
    merge_readers: int = 1_000
    merge_rates: tuple[int, ...] = (1_000, 2_000)
    quick: bool = False


QUICK = Plan(
    quick=True,
    rounds=2,
    ceiling_requests=400_000,
    read_rates=(250, 500, 1000, 2000),
    read_seconds=4.0,
    warmup_seconds=2.0,
    visible_seconds=12.0,
    probe_every_s=0.05,  # as many probes as a default run's, in less time
    create_post_calls=300,
)
PHASES = [
    "setup",
    "fan-out and ceiling",
    "memory",
    "writes",
    "visibility",
    "streams",
    "grpc floor",
    "reads",
    "filtered reads",
    "read merge",
]
STORE_PHASES = ["setup", "writes", "visibility"]  # on Cassandra: only what depends on the store


def phases(stores: tuple[str, ...]) -> list[str]:
    """Progress steps of a run on these stores, in order: every phase on SQLite, the store's own on the others."""
    steps = PHASES if "sqlite" in stores else []
    return steps + [f"{store}: {phase}" for store in stores if store != "sqlite" for phase in STORE_PHASES]
