"""The metrics port serves /metrics for Prometheus and /healthz for probes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from feed.errors import InvalidArgument
from feed.telemetry.metrics import start_metrics_server


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_metrics_are_served_with_every_feed_family():
    port = start_metrics_server("127.0.0.1:0")
    status, body = get(port, "/metrics")
    assert status == 200
    assert b"# TYPE feed_rpc_requests_total counter" in body
    assert b'feed_fanout_dead_letters_total{reason="invalid_event"}' in body  # there before the first one
    for reason in ("overflow", "behind", "slow"):  # the dashboard's stream gaps panel, before the first gap
        assert f'feed_stream_gaps_total{{reason="{reason}"}} '.encode() in body  # 0 alone; other tests may count


def test_healthz_is_ok_without_checks_and_follows_readiness_with_them():
    assert get(start_metrics_server("127.0.0.1:0"), "/healthz") == (200, b'{"status": "ok", "dependencies": {}}')
    state = {"ready": True}
    port = start_metrics_server("127.0.0.1:0", lambda: (state["ready"], {"redis": state["ready"], "store": True}))
    status, body = get(port, "/healthz")
    assert status == 200 and json.loads(body)["dependencies"] == {"redis": "up", "store": "up"}
    state["ready"] = False
    status, body = get(port, "/healthz")
    assert status == 503 and json.loads(body) == {
        "status": "unavailable",
        "dependencies": {"redis": "down", "store": "up"},
    }


def test_no_address_means_no_server_and_a_bad_one_is_a_clear_error():
    assert start_metrics_server("") == 0
    with pytest.raises(InvalidArgument, match="HOST:PORT"):
        start_metrics_server("9464")
