"""The Grafana dashboard the Helm chart ships (helm/feed/files/dashboard.json), as code.

Panels are declared here, one line of PromQL each, and rendered to the JSON
Grafana loads; tests/observability checks the committed file matches, so edit
this and run `.venv/bin/python -m monitoring.dashboard`, never the JSON.

Every query is scoped to the $namespace the feed runs in. The Redis memory
panel reads redis_exporter's redis_memory_used_bytes, so it needs a
redis_exporter beside each Redis, scraped by the same Prometheus.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "helm" / "feed" / "files" / "dashboard.json"
NS = 'namespace="$namespace"'
RATE = "[$__rate_interval]"
# Status codes that are the caller's mistake: shown, but not counted as errors of the service.
CLIENT_CODES = "|".join(
    [
        "OK",
        "INVALID_ARGUMENT",
        "NOT_FOUND",
        "PERMISSION_DENIED",
        "ALREADY_EXISTS",
        "FAILED_PRECONDITION",
        "OUT_OF_RANGE",
        "UNAUTHENTICATED",
        "CANCELLED",
    ]
)
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH = 12
HEIGHT = 8


def quantile(q: float, bucket: str, by: str = "", selector: str = NS) -> str:
    """The q-quantile of a histogram over all pods, per value of the `by` labels."""
    labels = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({bucket}{{{selector}}}{RATE})))"


def rate(metric: str, by: str = "", selector: str = NS) -> str:
    """The per-second rate of a counter summed over all pods, per value of the `by` labels."""
    grouping = f"sum by ({by})" if by else "sum"
    return f"{grouping} (rate({metric}{{{selector}}}{RATE}))"


# (title, unit, description, [(expr, legend)]) per panel, in rows.
ROWS: list[tuple[str, list[tuple[str, str, str, list[tuple[str, str]]]]]] = [
    (
        "Requests (RED, per RPC)",
        [
            (
                "Request rate",
                "reqps",
                "gRPC calls handled per second, by method (all status codes).",
                [(rate("feed_rpc_requests_total", "service, method"), "{{service}}/{{method}}")],
            ),
            (
                "Server error ratio",
                "percentunit",
                "Share of calls that failed on our side (client errors such as INVALID_ARGUMENT, NOT_FOUND and "
                "PERMISSION_DENIED excluded). Alert: FeedRpcErrorRatioHigh above 1% for 5m.",
                [
                    (
                        rate("feed_rpc_requests_total", "service, method", f'{NS}, code!~"{CLIENT_CODES}"')
                        + " / "
                        + rate("feed_rpc_requests_total", "service, method"),
                        "{{service}}/{{method}}",
                    )
                ],
            ),
            (
                "Non-OK calls by code",
                "reqps",
                "Every status other than OK, client errors included, by method and code.",
                [(rate("feed_rpc_requests_total", "method, code", f'{NS}, code!="OK"'), "{{method}} {{code}}")],
            ),
            (
                "Call duration p50 / p99",
                "s",
                "Handler time per method. Targets: reads p99 10 ms (alert at 25 ms).",
                [
                    (quantile(0.5, "feed_rpc_duration_seconds_bucket", "service, method"), "p50 {{method}}"),
                    (quantile(0.99, "feed_rpc_duration_seconds_bucket", "service, method"), "p99 {{method}}"),
                ],
            ),
        ],
    ),
    (
        "Outbox relay",
        [
            (
                "Outbox backlog",
                "short",
                "Events the write path stored with their change and the relay has not yet published to Kafka. "
                "Every process exports the gauge; only the relay (one per store) sets it, so the panel shows the max.",
                [(f"max(feed_outbox_backlog_records{{{NS}}})", "records not yet published")],
            ),
            (
                "Outbox lag",
                "s",
                "Age of the oldest event not yet published (0 when the outbox is empty): how late posts start to "
                "fan out. Alerts: FeedOutboxLagging above 60 s for 5m, FeedOutboxLaggingCritical above 600 s.",
                [(f"max(feed_outbox_lag_seconds{{{NS}}})", "oldest unpublished")],
            ),
            (
                "Outbox published/s",
                "ops",
                "Events the broker acknowledged per second; at least once, so a relay restart may publish some twice.",
                [(rate("feed_outbox_published_total"), "published")],
            ),
            (
                "Outbox publish failures/s",
                "ops",
                "Relay passes that failed (broker or store not answering) and were retried with backoff; "
                "nothing is skipped, the records stay pending.",
                [(rate("feed_outbox_publish_failures_total"), "failed passes")],
            ),
        ],
    ),
    (
        "Fan-out",
        [
            (
                "Deliveries and skipped deliveries",
                "ops",
                "Post ids written into home timelines per second, and follower deliveries not written: "
                "inactive (timeline not in Redis, rebuilt on its next read) or celebrity (merged at read time).",
                [
                    (rate("feed_fanout_deliveries_total"), "delivered"),
                    (rate("feed_fanout_skipped_deliveries_total", "reason"), "skipped: {{reason}}"),
                ],
            ),
            (
                "Events consumed by type",
                "ops",
                "Events the workers applied per second.",
                [(rate("feed_fanout_events_consumed_total", "type"), "{{type}}")],
            ),
            (
                "Consumer lag by partition",
                "short",
                "Records published but not yet consumed, per partition of the events topic. "
                "Alert: FeedFanoutConsumerLagGrowing.",
                [
                    (f"sum by (partition) (feed_fanout_consumer_lag_records{{{NS}}})", "partition {{partition}}"),
                    (f"sum(feed_fanout_consumer_lag_records{{{NS}}})", "total"),
                ],
            ),
            (
                "Publish to delivered (publish to visible)",
                "s",
                "From the write service storing a post (its event time) to the worker's Redis write: when a follower "
                "can see it, time in the outbox included. "
                "Target p99 100 ms for authors with up to 1000 followers; alert at 1 s.",
                [
                    (quantile(0.5, "feed_fanout_publish_to_delivered_seconds_bucket", "type"), "p50 {{type}}"),
                    (quantile(0.99, "feed_fanout_publish_to_delivered_seconds_bucket", "type"), "p99 {{type}}"),
                ],
            ),
            (
                "Batch duration p50 / p99",
                "s",
                "Time to resolve, plan and apply one polled batch.",
                [
                    (quantile(0.5, "feed_fanout_batch_duration_seconds_bucket"), "p50"),
                    (quantile(0.99, "feed_fanout_batch_duration_seconds_bucket"), "p99"),
                ],
            ),
            (
                "Events per batch p50 / p99",
                "short",
                "Batch sizes: large batches mean the workers are catching up.",
                [
                    (quantile(0.5, "feed_fanout_batch_events_bucket"), "p50"),
                    (quantile(0.99, "feed_fanout_batch_events_bucket"), "p99"),
                ],
            ),
            (
                "Partitions owned per worker",
                "short",
                "Partitions of the events topic each worker pod owns.",
                [(f"feed_fanout_assigned_partitions{{{NS}}}", "{{pod}}")],
            ),
            (
                "Failed batches and dead letters",
                "ops",
                "Batches retried after Redis or the store failed them, and records given up on (dead letters).",
                [
                    (rate("feed_fanout_batch_failures_total"), "failed batches"),
                    (rate("feed_fanout_dead_letters_total", "reason"), "dead letters: {{reason}}"),
                ],
            ),
        ],
    ),
    (
        "Timelines, cache and dependencies",
        [
            (
                "Home timelines rebuilt from the store",
                "ops",
                "Reads that found no timeline in Redis (new, inactive, or Redis lost) and rebuilt it.",
                [(rate("feed_timeline_rebuilds_total"), "rebuilds")],
            ),
            (
                "Post cache hit ratio",
                "percentunit",
                "Share of post lookups answered by the Redis post cache.",
                [
                    (
                        rate("feed_post_cache_lookups_total", "", f'{NS}, result="hit"')
                        + " / "
                        + rate("feed_post_cache_lookups_total"),
                        "hit ratio",
                    )
                ],
            ),
            (
                "Store operation p99",
                "s",
                "Durable store (SQLite or Cassandra) call time by operation.",
                [
                    (
                        quantile(0.99, "feed_store_operation_duration_seconds_bucket", "backend, operation"),
                        "{{backend}} {{operation}}",
                    )
                ],
            ),
            (
                "Redis operation p99",
                "s",
                "Redis round-trip time by operation (function name or post-cache call).",
                [(quantile(0.99, "feed_redis_operation_duration_seconds_bucket", "operation"), "{{operation}}")],
            ),
            (
                "Dependencies up",
                "short",
                "1 while every pod's readiness check of a dependency succeeds; the lowest pod shows.",
                [(f"min by (dependency) (feed_dependency_up{{{NS}}})", "{{dependency}}")],
            ),
            (
                "Redis memory (needs redis_exporter)",
                "bytes",
                "Memory used by each Redis, from redis_exporter (oliver006/redis_exporter); empty without it.",
                [
                    ('redis_memory_used_bytes{instance=~"$redis_instance"}', "used {{instance}}"),
                    ('redis_memory_max_bytes{instance=~"$redis_instance"}', "max {{instance}}"),
                ],
            ),
            (
                "Read path: posts removed by stage, optional sources skipped",
                "ops",
                "Posts each read stage removed (deleted, other organization, unfollowed author, not a member, blocked"
                " author), and optional read-time sources that failed and were skipped (fail open).",
                [
                    (
                        rate("feed_read_stage_posts_total", "stage", f'{NS}, outcome="removed"'),
                        "removed: {{stage}}",
                    ),
                    (rate("feed_read_optional_source_failures_total", "source"), "skipped: {{source}}"),
                ],
            ),
        ],
    ),
]


def panel(
    panel_id: int, title: str, unit: str, description: str, targets: list[tuple[str, str]], x: int, y: int
) -> dict:
    """One time-series panel with its queries."""
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": HEIGHT, "w": WIDTH, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
        "targets": [
            {"expr": expr, "legendFormat": legend, "datasource": DATASOURCE, "refId": chr(ord("A") + i)}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def panels() -> list[dict]:
    """Every row header and panel, laid out two panels wide."""
    out: list[dict] = []
    y = 0
    for row_title, row_panels in ROWS:
        out.append(
            {
                "id": len(out) + 1,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "panels": [],
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            }
        )
        y += 1
        for i, (title, unit, description, targets) in enumerate(row_panels):
            out.append(panel(len(out) + 1, title, unit, description, targets, (i % 2) * WIDTH, y + (i // 2) * HEIGHT))
        y += ((len(row_panels) + 1) // 2) * HEIGHT
    return out


def variable(name: str, label: str, query: str, **extra: object) -> dict:
    """A template variable filled from a label's values."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": name},
        "definition": query,
        "refresh": 2,
        "current": {},
        "hide": 0,
        **extra,
    }


def build() -> dict:
    """The dashboard as Grafana's JSON model."""
    return {
        "uid": "feed-overview",
        "title": "Feed",
        "description": "RED per RPC, outbox relay backlog and lag, fan-out throughput, lag and publish-to-visible "
        "latency, rebuilds, post cache, dependencies. Redis memory needs redis_exporter.",
        "tags": ["feed"],
        "editable": True,
        "schemaVersion": 39,
        "version": 2,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "utc",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                },
                variable("namespace", "Namespace", "label_values(feed_fanout_assigned_partitions, namespace)"),
                variable(
                    "redis_instance",
                    "Redis (redis_exporter)",
                    "label_values(redis_memory_used_bytes, instance)",
                    includeAll=True,
                    multi=True,
                    allValue=".*",
                ),
            ]
        },
        "annotations": {"list": []},
        "panels": panels(),
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
