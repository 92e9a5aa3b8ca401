"""The panels of the Grafana dashboard, as data: a title, a unit, why it matters, and one line of PromQL a series.

monitoring/dashboard.py lays them out with Grafana's SDK. Every query is scoped
to the $namespace the feed runs in, except redis_exporter's, which are picked by
$redis_instance. Latency panels ask Prometheus for exemplars: a bucket's sample
carries the trace_id of a request it counted, and the panel links it to the trace.
"""

from __future__ import annotations

from typing import NamedTuple


class Panel(NamedTuple):
    """One time-series panel: exemplars only where the histogram can carry trace ids."""

    title: str
    unit: str
    description: str
    targets: list[tuple[str, str]]  # (PromQL, legend)
    exemplars: bool = False


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


def quantile(q: float, bucket: str, by: str = "", selector: str = NS) -> str:
    """The q-quantile of a histogram over all pods, per value of the `by` labels."""
    labels = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({bucket}{{{selector}}}{RATE})))"


def rate(metric: str, by: str = "", selector: str = NS) -> str:
    """The per-second rate of a counter summed over all pods, per value of the `by` labels."""
    grouping = f"sum by ({by})" if by else "sum"
    return f"{grouping} (rate({metric}{{{selector}}}{RATE}))"


ROWS: list[tuple[str, list[Panel]]] = [
    (
        "Requests (RED, per RPC)",
        [
            Panel(
                "Request rate",
                "reqps",
                "gRPC calls handled per second, by method (all status codes).",
                [(rate("feed_rpc_requests_total", "service, method"), "{{service}}/{{method}}")],
            ),
            Panel(
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
            Panel(
                "Non-OK calls by code",
                "reqps",
                "Every status other than OK, client errors included, by method and code.",
                [(rate("feed_rpc_requests_total", "method, code", f'{NS}, code!="OK"'), "{{method}} {{code}}")],
            ),
            Panel(
                "Call duration p50 / p99",
                "s",
                "Handler time per method. Targets: reads p99 10 ms (alert at 25 ms).",
                [
                    (quantile(0.5, "feed_rpc_duration_seconds_bucket", "service, method"), "p50 {{method}}"),
                    (quantile(0.99, "feed_rpc_duration_seconds_bucket", "service, method"), "p99 {{method}}"),
                ],
                exemplars=True,
            ),
        ],
    ),
    (
        "Outbox relay",
        [
            Panel(
                "Outbox backlog",
                "short",
                "Events the write path stored with their change and the relay has not yet published to Kafka. "
                "Every process exports the gauge; only the relay (one per store) sets it, so the panel shows the max.",
                [(f"max(feed_outbox_backlog_records{{{NS}}})", "records not yet published")],
            ),
            Panel(
                "Outbox lag",
                "s",
                "Age of the oldest event not yet published (0 when the outbox is empty): how late posts start to "
                "fan out. Alerts: FeedOutboxLagging above 60 s for 5m, FeedOutboxLaggingCritical above 600 s.",
                [(f"max(feed_outbox_lag_seconds{{{NS}}})", "oldest unpublished")],
            ),
            Panel(
                "Outbox published/s",
                "ops",
                "Events the broker acknowledged per second; at least once, so a relay restart may publish some twice.",
                [(rate("feed_outbox_published_total"), "published")],
            ),
            Panel(
                "Outbox publish failures/s",
                "ops",
                "Relay passes that failed (broker or store not answering) and were retried with backoff; "
                "nothing is skipped, the records stay pending.",
                [(rate("feed_outbox_publish_failures_total"), "failed passes")],
            ),
            Panel(
                "Seconds since the relay's last pass",
                "s",
                "How long ago the relay finished a pass, empty or not: climbs steadily when the relay is stuck or "
                "gone, while the lag gauge it would update freezes (alert: FeedOutboxRelayDown).",
                [(f"time() - max(feed_outbox_last_pass_timestamp_seconds{{{NS}}} > 0)", "since the last pass")],
            ),
        ],
    ),
    (
        "Fan-out",
        [
            Panel(
                "Deliveries and skipped deliveries",
                "ops",
                "Post ids written into home timelines per second, and follower deliveries not written: "
                "inactive (timeline not in Redis, rebuilt on its next read) or celebrity (merged at read time).",
                [
                    (rate("feed_fanout_deliveries_total"), "delivered"),
                    (rate("feed_fanout_skipped_deliveries_total", "reason"), "skipped: {{reason}}"),
                ],
            ),
            Panel(
                "Events consumed by type",
                "ops",
                "Events the workers applied per second.",
                [(rate("feed_fanout_events_consumed_total", "type"), "{{type}}")],
            ),
            Panel(
                "Consumer lag by partition",
                "short",
                "Records published but not yet consumed, per partition of the events topic. "
                "Alert: FeedFanoutConsumerLagGrowing.",
                [
                    (f"sum by (partition) (feed_fanout_consumer_lag_records{{{NS}}})", "partition {{partition}}"),
                    (f"sum(feed_fanout_consumer_lag_records{{{NS}}})", "total"),
                ],
            ),
            Panel(
                "Publish to delivered (publish to visible)",
                "s",
                "From the write service storing a post (its event time) to the worker's Redis write: when a follower "
                "can see it, time in the outbox included. "
                "Target p99 100 ms for authors with up to 1000 followers; alert at 1 s.",
                [
                    (quantile(0.5, "feed_fanout_publish_to_delivered_seconds_bucket", "type"), "p50 {{type}}"),
                    (quantile(0.99, "feed_fanout_publish_to_delivered_seconds_bucket", "type"), "p99 {{type}}"),
                ],
                exemplars=True,
            ),
            Panel(
                "Batch duration p50 / p99",
                "s",
                "Time to resolve, plan and apply one polled batch.",
                [
                    (quantile(0.5, "feed_fanout_batch_duration_seconds_bucket"), "p50"),
                    (quantile(0.99, "feed_fanout_batch_duration_seconds_bucket"), "p99"),
                ],
                exemplars=True,
            ),
            Panel(
                "Events per batch p50 / p99",
                "short",
                "Batch sizes: large batches mean the workers are catching up.",
                [
                    (quantile(0.5, "feed_fanout_batch_events_bucket"), "p50"),
                    (quantile(0.99, "feed_fanout_batch_events_bucket"), "p99"),
                ],
            ),
            Panel(
                "Partitions owned per worker",
                "short",
                "Partitions of the events topic each worker pod owns.",
                [(f"feed_fanout_assigned_partitions{{{NS}}}", "{{pod}}")],
            ),
            Panel(
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
            Panel(
                "Home timelines rebuilt from the store",
                "ops",
                "Reads that found no timeline in Redis (new, inactive, or Redis lost) and rebuilt it.",
                [(rate("feed_timeline_rebuilds_total"), "rebuilds")],
            ),
            Panel(
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
            Panel(
                "Store operation p99",
                "s",
                "Durable store (SQLite or Cassandra) call time by operation.",
                [
                    (
                        quantile(0.99, "feed_store_operation_duration_seconds_bucket", "backend, operation"),
                        "{{backend}} {{operation}}",
                    )
                ],
                exemplars=True,
            ),
            Panel(
                "Redis operation p99",
                "s",
                "Redis round-trip time by operation (function name or post-cache call).",
                [(quantile(0.99, "feed_redis_operation_duration_seconds_bucket", "operation"), "{{operation}}")],
                exemplars=True,
            ),
            Panel(
                "Dependencies up",
                "short",
                "1 while every pod's readiness check of a dependency succeeds; the lowest pod shows.",
                [(f"min by (dependency) (feed_dependency_up{{{NS}}})", "{{dependency}}")],
            ),
            Panel(
                "Redis memory (needs redis_exporter)",
                "bytes",
                "Memory used by each Redis, from redis_exporter (oliver006/redis_exporter); empty without it.",
                [
                    ('redis_memory_used_bytes{instance=~"$redis_instance"}', "used {{instance}}"),
                    ('redis_memory_max_bytes{instance=~"$redis_instance"}', "max {{instance}}"),
                ],
            ),
        ],
    ),
    (
        "Read path: filtering by stage",
        [
            Panel(
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
            Panel(
                "Share of posts each stage removed",
                "percentunit",
                "Of the posts that reached a read stage, the share it removed, by stage name (the stage label of "
                "feed_read_stage_posts_total): a stage near 100% reads many posts only to hide them.",
                [
                    (
                        rate("feed_read_stage_posts_total", "stage", f'{NS}, outcome="removed"')
                        + " / "
                        + rate("feed_read_stage_posts_total", "stage"),
                        "{{stage}}",
                    )
                ],
            ),
        ],
    ),
    (
        "Live streams",
        [
            Panel(
                "Open streams",
                "short",
                "WatchHomeTimeline streams open now, in all and per read pod (each holds up to FEED_STREAM_MAX).",
                [
                    (f"sum(feed_streams_open{{{NS}}})", "open streams"),
                    (f"sum by (pod) (feed_streams_open{{{NS}}})", "{{pod}}"),
                ],
            ),
            Panel(
                "Stream gaps and lost notifications",
                "ops",
                "Gap events sent to streams (the client pages from the gap's token instead), by reason; "
                "notifications the workers could not publish; times a read process subscribed again to them.",
                [
                    (rate("feed_stream_gaps_total", "reason"), "gaps: {{reason}}"),
                    (rate("feed_stream_notify_failures_total"), "notify failures"),
                    (rate("feed_stream_resubscribes_total"), "resubscribes"),
                ],
            ),
        ],
    ),
    (
        "Web gateway (Connect / gRPC-Web)",
        [
            Panel(
                "Web requests by procedure and code",
                "reqps",
                "Calls through the browser-facing gateway per second, by RPC procedure and status code.",
                [(rate("feed_web_requests_total", "procedure, code"), "{{procedure}} {{code}}")],
            ),
        ],
    ),
]
