"""The worker's reporting hooks: lag never negative, bounded request ids, skips by reason."""

from __future__ import annotations

import types

from prometheus_client import REGISTRY

from feed.domain import Source
from feed.events import Envelope, PostCreated
from feed.fanout.plan import FanoutPlan, PostFanout
from workers.observability import MAX_LOGGED_REQUEST_IDS, bounded_ids, observe_applied, partition_lag, request_id_of


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_lag_is_highwater_minus_position_and_never_negative():
    assert partition_lag(120, 100) == 20
    assert partition_lag(99, 100) == 0  # Tansu's end offset one below the next record's
    assert partition_lag(None, 100) is None and partition_lag(100, None) is None


def test_request_ids_are_read_from_the_header_and_unsafe_ones_dropped():
    assert request_id_of(types.SimpleNamespace(headers=[("request-id", b"abc-1")])) == "abc-1"
    assert request_id_of(types.SimpleNamespace(headers=[("request-id", b"a b")])) is None
    assert request_id_of(types.SimpleNamespace(headers=None)) is None


def test_a_batch_logs_at_most_a_bounded_number_of_distinct_request_ids():
    ids = [f"r{i}" for i in range(MAX_LOGGED_REQUEST_IDS + 5)]
    fields = bounded_ids([*ids, ids[0], None])
    assert fields["request_ids"] == ids[:MAX_LOGGED_REQUEST_IDS]
    assert fields["request_ids_omitted"] == 5
    assert bounded_ids(["a", "a", None]) == {"request_ids": ["a"]}


def test_an_applied_batch_counts_deliveries_skips_and_latency_per_event():
    now_ms = 1_000_000_000_000
    envelopes = [Envelope("e1", now_ms, PostCreated(1, 2)), Envelope("e2", now_ms, PostCreated(3, 2))]
    before = {
        "delivered": sample("feed_fanout_deliveries_total"),
        "inactive": sample("feed_fanout_skipped_deliveries_total", reason="inactive"),
        "celebrity": sample("feed_fanout_skipped_deliveries_total", reason="celebrity"),
        "latency": sample("feed_fanout_publish_to_delivered_seconds_count", type="PostCreated"),
        "consumed": sample("feed_fanout_events_consumed_total", type="PostCreated"),
    }
    author = Source(author_id=2)
    plan = FanoutPlan(fanouts=[PostFanout(1, 2, author, [4, 5, 6, 7])], skipped_read_time=7)  # five pushes
    observe_applied(envelopes, plan, landed=3, started=0.0)
    observe_applied(envelopes[:1], FanoutPlan(), landed=0, started=0.0)  # a plan that skips nothing
    assert sample("feed_fanout_deliveries_total") == before["delivered"] + 3
    assert sample("feed_fanout_skipped_deliveries_total", reason="inactive") == before["inactive"] + 2
    assert sample("feed_fanout_skipped_deliveries_total", reason="celebrity") == before["celebrity"] + 7
    assert sample("feed_fanout_publish_to_delivered_seconds_count", type="PostCreated") == before["latency"] + 3
    assert sample("feed_fanout_events_consumed_total", type="PostCreated") == before["consumed"] + 3
