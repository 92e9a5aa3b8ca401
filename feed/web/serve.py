"""`feed serve web`: the gateway on uvicorn until SIGTERM, then a graceful stop.

On stop: the listener closes (no new connections), open streams end with UNAVAILABLE
(clients resume from their last resume_token), in-flight unary calls get up to GRACE_S to
finish, then the gRPC channels close and the process exits 0.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from feed.config import Settings
from feed.shutdown import Stop
from feed.telemetry import metrics
from feed.web.app import build_app

GRACE_S = 10.0  # as the gRPC servers' grace period (services/server.py)
log = logging.getLogger("feed.web")


class _Server(uvicorn.Server):
    """uvicorn, stopped by our Stop flag (set by feed.shutdown's handler) instead of its own handlers."""

    def __init__(self, config: uvicorn.Config, stop: Stop, on_stop) -> None:
        super().__init__(config)
        self._stop = stop
        self._on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # feed.shutdown already turns SIGTERM and SIGINT into the stop flag

    async def on_tick(self, counter: int) -> bool:
        if self._stop.is_set() and not self.should_exit:
            self.should_exit = True
            self._on_stop()  # end the streams now: uvicorn waits for every open request before closing
        return await super().on_tick(counter)


def main(settings: Settings, stop: Stop) -> int:
    """Serve settings.web_addr until stop is set; return 0."""
    host, _, port = settings.web_addr.rpartition(":")
    app = build_app(settings)
    metrics.start_metrics_server(settings.metrics_addr)
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=int(port),
        loop="uvloop",
        http="h11",
        lifespan="on",
        access_log=False,
        log_config=None,  # keep our JSON logs (feed.telemetry.logs)
        timeout_graceful_shutdown=GRACE_S,
    )
    server = _Server(config, stop, app.state.upstreams.draining.set)
    log.info("web gateway listening", extra={"addr": settings.web_addr, "origins": settings.web_origins})
    server.run()
    return 0
