"""Prometheus metrics: every name starts with feed_ and carries its unit.

Domain code does not call these directly where a hook can (the worker loop,
the gRPC edge); they are defined in one place so names stay consistent.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from feed.errors import InvalidArgument

ASSIGNED_PARTITIONS = Gauge("feed_fanout_assigned_partitions", "Partitions of the events topic this worker owns now")
EVENTS_CONSUMED = Counter("feed_fanout_events_consumed_total", "Events consumed, by type", ["type"])
INVALID_EVENTS = Counter("feed_fanout_invalid_events_total", "Records that were not valid events")
DELIVERIES = Counter("feed_fanout_deliveries_total", "Post ids written into home timelines")
BATCH_EVENTS = Histogram(
    "feed_fanout_batch_events", "Events per applied batch", buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000)
)
BATCH_SECONDS = Histogram("feed_fanout_batch_duration_seconds", "Time to resolve, plan and apply one batch")
BATCH_FAILURES = Counter("feed_fanout_batch_failures_total", "Batches that failed to apply and were retried")
TIMELINE_REBUILDS = Counter(
    "feed_timeline_rebuilds_total", "Home timelines rebuilt from the durable store because Redis lacked them"
)


def start_metrics_server(addr: str) -> int:
    """Serve /metrics on HOST:PORT (port 0 picks one); return the port. Empty addr: no server."""
    if not addr:
        return 0
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidArgument(f"FEED_METRICS_ADDR must be HOST:PORT, got {addr!r}")
    server, _thread = start_http_server(int(port), addr=host)
    return server.server_port
