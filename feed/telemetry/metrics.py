"""Prometheus metrics: every name starts with feed_ and carries its unit.

Domain code does not call these directly where a hook can (the gRPC
interceptor, the worker loop, the store and Redis wrappers); they are defined
in one place so names stay consistent. Labels take values from small fixed
sets (methods, status codes, event types, operations, partitions), never user
or post ids, so the number of series stays bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from feed.telemetry.metrics_http import start_metrics_server as start_metrics_server  # where every caller looks for it

# Seconds. An RPC: sub-millisecond reads up to client deadlines; 10 ms and 25 ms are read targets.
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds. One store or Redis round trip: 100 µs on loopback up to the 2-5 s client timeouts.
IO_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Seconds from publish to the timeline write: milliseconds when healthy, minutes when lagging.
DELIVERY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# gRPC edge (services/interceptors.py)
RPC_REQUESTS = Counter(
    "feed_rpc_requests_total", "gRPC calls handled, by service, method and status code", ["service", "method", "code"]
)
RPC_SECONDS = Histogram(
    "feed_rpc_duration_seconds",
    "Time to handle one gRPC call, from the handler's start to its response or status",
    ["service", "method"],
    buckets=RPC_BUCKETS,
)

# Fan-out worker (workers/fanout_worker.py)
ASSIGNED_PARTITIONS = Gauge("feed_fanout_assigned_partitions", "Partitions of the events topic this worker owns now")
CONSUMER_LAG = Gauge(
    "feed_fanout_consumer_lag_records",
    "Records of an owned partition not yet applied (broker highwater minus next offset to apply)",
    ["partition"],
)
EVENTS_CONSUMED = Counter("feed_fanout_events_consumed_total", "Events applied, by type", ["type"])
DEAD_LETTERS = Counter(
    "feed_fanout_dead_letters_total", "Records the workers gave up on and skipped, by reason", ["reason"]
)
DELIVERIES = Counter("feed_fanout_deliveries_total", "Post ids written into home timelines")
SKIPPED_DELIVERIES = Counter(
    "feed_fanout_skipped_deliveries_total",
    "Planned deliveries not written: timeline not in Redis (inactive; also a post already there, as on a"
    " redelivered batch) or left to fan-out on read (celebrity)",
    ["reason"],
)
PUBLISH_TO_DELIVERED = Histogram(
    "feed_fanout_publish_to_delivered_seconds",
    "Time from an event's publish (its event time) to the end of the Redis write that applied it",
    ["type"],
    buckets=DELIVERY_BUCKETS,
)
BATCH_EVENTS = Histogram(
    "feed_fanout_batch_events", "Events per applied batch", buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000)
)
BATCH_SECONDS = Histogram("feed_fanout_batch_duration_seconds", "Time to resolve, plan and apply one batch")
BATCH_FAILURES = Counter("feed_fanout_batch_failures_total", "Batches that failed to apply and were retried")

# Outbox relay (feed/outbox/relay.py)
OUTBOX_PUBLISHED = Counter("feed_outbox_published_total", "Outbox records the broker acknowledged")
OUTBOX_FAILURES = Counter(
    "feed_outbox_publish_failures_total", "Relay passes that failed (broker or store not answering) and were retried"
)
OUTBOX_BACKLOG = Gauge("feed_outbox_backlog_records", "Records recorded by the write path and not yet published")
OUTBOX_LAST_PASS = Gauge(
    "feed_outbox_last_pass_timestamp_seconds",
    "When the relay last finished a pass, empty or not (Unix time; 0 in processes that are no relay)",
)
OUTBOX_LAG = Gauge("feed_outbox_lag_seconds", "Age of the oldest record not yet published (0 when the outbox is empty)")

# Read path
TIMELINE_REBUILDS = Counter(
    "feed_timeline_rebuilds_total", "Home timelines rebuilt from the durable store because Redis lacked them"
)
REBUILDS_STARTED = Counter(
    "feed_timeline_rebuilds_started_total", "Home timeline rebuilds the read path started on its rebuild threads"
)
REBUILD_FAILURES = Counter(
    "feed_timeline_rebuild_failures_total",
    "Home timeline rebuilds that wrote nothing, by reason: error, deadline, claim_lost (its building mark"
    " expired or was replaced), queue_full (not started: too many in flight)",
    ["reason"],
)
REBUILD_SECONDS = Histogram(
    "feed_timeline_rebuild_duration_seconds",
    "Time of one home timeline rebuild on a rebuild thread, whatever its outcome",
    buckets=RPC_BUCKETS,
)
READ_REPAIRS = Counter(
    "feed_read_repair_ids_total",
    "Ids a home page hid for good (deleted, unfollowed, left, blocked, other organization), by what became of"
    " them: removed from the reader's Redis timeline, failed (Redis error, ignored), skipped (over the bound)",
    ["outcome"],
)
POST_CACHE_LOOKUPS = Counter(
    "feed_post_cache_lookups_total", "Post ids looked up in the Redis post cache, by hit or miss", ["result"]
)
READ_STAGE_POSTS = Counter(
    "feed_read_stage_posts_total",
    "Posts each filter stage of a read kept or removed, by stage name (feed/read/filters.py) and outcome",
    ["stage", "outcome"],
)
READ_OPTIONAL_SOURCE_FAILURES = Counter(
    "feed_read_optional_source_failures_total",
    "Optional sources of a page that failed and were skipped (fail open: the page is served without them)",
    ["source"],
)
READ_TIME_SOURCES_REFUSED = Counter(
    "feed_read_time_sources_refused_total",
    "Sources above the fan-out threshold fanned out on write because their organization's registry was full",
)
READ_TIME_SOURCES_RETIRED = Counter(
    "feed_read_time_sources_retired_total",
    "Read-time sources back under the threshold and idle, merged into their audience's timelines and forgotten",
)

# Dependencies (feed/store/instrumented.py, feed/redis/calls.py, feed/health/readiness.py)
STORE_SECONDS = Histogram(
    "feed_store_operation_duration_seconds",
    "Time of one durable-store call, by backend and operation",
    ["backend", "operation"],
    buckets=IO_BUCKETS,
)
STORE_ERRORS = Counter(
    "feed_store_operation_errors_total",
    "Durable-store calls that raised, by backend and operation",
    ["backend", "operation"],
)
REDIS_SECONDS = Histogram(
    "feed_redis_operation_duration_seconds",
    "Time of one Redis round trip, by operation",
    ["operation"],
    buckets=IO_BUCKETS,
)
REDIS_ERRORS = Counter(
    "feed_redis_operation_errors_total", "Redis round trips that raised, by operation", ["operation"]
)
# Round trips that are spans too (feed/redis/calls.py round_trip: every Redis round trip of ours,
# the packed ones of the hot paths included, which redis-py's own instrumentation would not see).
DEPENDENCY_UP = Gauge(
    "feed_dependency_up", "1 while the last readiness check of a dependency succeeded, else 0", ["dependency"]
)


# Fixed label values start at 0, so rate() and increase() see the first event too.
for _reason in ("invalid_event", "apply_failed"):
    DEAD_LETTERS.labels(_reason)
for _reason in ("inactive", "celebrity"):
    SKIPPED_DELIVERIES.labels(_reason)
for _result in ("hit", "miss"):
    POST_CACHE_LOOKUPS.labels(_result)
for _reason in ("error", "deadline", "claim_lost", "queue_full"):
    REBUILD_FAILURES.labels(_reason)
for _outcome in ("removed", "failed", "skipped"):
    READ_REPAIRS.labels(_outcome)


# Live streams (feed/stream/, services/stream_service.py, feed/fanout/notify.py)
STREAM_NOTIFY_FAILURES = Counter(
    "feed_stream_notify_failures_total", "Applied notifications the fan-out worker could not publish"
)
STREAMS_OPEN = Gauge("feed_streams_open", "WatchHomeTimeline streams open on this process")
STREAM_GAPS = Counter("feed_stream_gaps_total", "Gap events sent to streams, by reason", ["reason"])
# Every reason a stream falls behind for (feed/stream/state.py, session.py), at 0 from the start.
for _reason in ("overflow", "behind", "slow"):
    STREAM_GAPS.labels(_reason)
STREAM_RESUBSCRIBES = Counter(
    "feed_stream_resubscribes_total", "Times the read process subscribed again to the applied notifications"
)
