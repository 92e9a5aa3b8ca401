"""`feed bench [--quick] [--store sqlite|cassandra|both] [--loadgen auto|go|python] [--json OUT] [--plot OUT.png]`:
measure this machine.

--store cassandra measures what depends on the store (CreatePost CPU, publish-to-visible)
on a one-node Apache Cassandra the bench starts; --store both runs every phase on SQLite
first, and the table shows the store's figures side by side.

Exit status 0 when the run completed, whether or not every target holds (the
table and the JSON say which do): a benchmark reports, it does not gate.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from pathlib import Path

from feed.bench.terminate import main_stopping_on_sigterm
from feed.loadkit import KIT_PACKAGES, require_extra
from feed.shutdown import Stop

STORES = {"sqlite": ("sqlite",), "cassandra": ("cassandra",), "both": ("sqlite", "cassandra")}
LOADGEN_ENV = "FEED_BENCH_LOADGEN"  # feed.bench.go_loadgen reads it (not imported here: the kit may be missing)


def main(argv: list[str], stop: Stop | None = None) -> int:
    """The run; SIGTERM stops it like Ctrl-C, every process it started with it, and it exits 0."""
    return main_stopping_on_sigterm(lambda: _main(argv), "feed bench")


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="feed bench", description="Measure fan-out, reads and memory on this machine."
    )
    parser.add_argument(
        "--quick", action="store_true", help="a shorter, smaller run (about 1 min; 2 - 4 min with --store both)"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--plot", type=Path, help="write a PNG plot of the figures here")
    parser.add_argument(
        "--store",
        choices=STORES,
        default="sqlite",
        help="the durable store: SQLite (default, every phase), a Cassandra it starts (the store's phases), both",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"), help="SQLite file, secret, logs")
    parser.add_argument(
        "--read-replicas",
        type=int,
        help="read service processes, balanced round robin (default: the plan's, 2)",
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "go", "python"),
        default=os.environ.get(LOADGEN_ENV) or "auto",
        help="the load generator: Go (loadgen/, built with `go` when on PATH), Python, or Go when it builds "
        f"(auto, the default; ${LOADGEN_ENV} sets it too)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ[LOADGEN_ENV] = args.loadgen  # the load generators start in this process: feed.bench.reads
    if args.read_replicas is not None and args.read_replicas < 1:
        parser.error("--read-replicas must be at least 1")
    if args.plot and args.store == "cassandra":
        parser.error("--plot draws the read and fan-out phases, which run on SQLite: use --store both")
    require_extra(KIT_PACKAGES + (("matplotlib",) if args.plot else ()))
    from tqdm import tqdm

    from feed.bench.go_loadgen import chosen
    from feed.bench.plan import QUICK, Plan, phases
    from feed.bench.report import table, write_json
    from feed.bench.run import run as run_bench

    plan = QUICK if args.quick else Plan()
    if args.read_replicas is not None:
        plan = dataclasses.replace(plan, read_replicas=args.read_replicas)
    chosen()  # build the Go load generator now: a failure shows (or falls back) before the run's setup
    stores = STORES[args.store]
    steps = phases(stores)
    clear_previous_run(args.data_dir)
    with tqdm(total=len(steps), desc="feed bench", unit="phase", file=sys.stderr) as bar:

        def step(name: str) -> None:
            if bar.n or name != steps[0]:
                bar.update(1)
            bar.set_description(f"feed bench: {name}")

        figures = run_bench(plan, args.data_dir, step, stores)
        bar.update(1)
    print(table(figures))
    logs = [args.data_dir / ("logs" if store == "sqlite" else f"{store}/logs") for store in stores]
    print(f"(run took {figures['bench_seconds']:.0f} s; logs in {', '.join(map(str, logs))})")
    if args.json:
        write_json(args.json, figures)
    if args.plot:
        from feed.bench.plot import plot

        plot(figures, args.plot)
    return 0


def clear_previous_run(data_dir: Path) -> None:
    """Remove what an earlier run left in data_dir (only that: the directory may hold other files)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(data_dir / "logs", ignore_errors=True)
    shutil.rmtree(data_dir / "cassandra", ignore_errors=True)  # a second store's stack (`--store both`)
    for leftover in [*data_dir.glob("feed.db*"), data_dir / "jwt.secret"]:
        leftover.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
