"""`feed worker`: run one fan-out worker until SIGTERM."""

from __future__ import annotations

import argparse

from feed.config import Settings
from feed.shutdown import Stop
from feed.telemetry import logs


def main(argv: list[str], stop: Stop) -> int:
    argparse.ArgumentParser(prog="feed worker", description="Run one fan-out worker.").parse_args(argv)
    settings = Settings.from_env()
    settings.validate()
    logs.configure("fanout-worker")
    from workers.fanout_worker import main as worker_main  # wired in here: the core never imports workers

    return worker_main(settings, stop)
