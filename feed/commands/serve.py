"""`feed serve write|read|web`: run one gRPC service (or the browser gateway in front of them) until SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses

from feed.config import Settings
from feed.shutdown import Stop
from feed.telemetry import logs


def main(argv: list[str], stop: Stop) -> int:
    parser = argparse.ArgumentParser(prog="feed serve", description="Run one gRPC service.")
    parser.add_argument("role", choices=["write", "read", "web"])
    parser.add_argument("--write-addr", help="HOST:PORT for the write service (FEED_WRITE_ADDR)")
    parser.add_argument("--read-addr", help="HOST:PORT for the read service (FEED_READ_ADDR)")
    parser.add_argument("--web-addr", help="HOST:PORT for the web gateway (FEED_WEB_ADDR)")
    args = parser.parse_args(argv)
    overrides = {"write_addr": args.write_addr, "read_addr": args.read_addr, "web_addr": args.web_addr}
    settings = dataclasses.replace(Settings.from_env(), **{k: v for k, v in overrides.items() if v})
    settings.validate()
    logs.configure(f"{args.role}-service" if args.role != "web" else "web-gateway")
    if args.role == "web":  # Connect and gRPC-Web, forwarded to the gRPC services (no store, no Redis)
        from feed.web import serve as gateway

        return gateway.main(settings, stop)
    # The services are wired in here, at the entry point: the core never imports them.
    if args.role == "write":
        from services import write_service as service
    else:
        from services import read_service as service
    inner = []
    if settings.trace_record:  # FEED_TRACE_RECORD: record what this server serves, for `feed replay`
        from feed.loadtest.record import recording_interceptors

        inner = recording_interceptors(settings.trace_record, settings.trace_sample, service.SERVICE_NAMES)
    return service.main(settings, stop, inner)
