"""The alert rules and the dashboard load, and only query metrics the code exports.

A rule or panel over a metric nobody exports never fires and never draws: the most
common way monitoring rots. Metric names are taken from feed.telemetry.metrics' registry.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import pkgutil
import re

import yaml
from prometheus_client import REGISTRY

import feed.telemetry.metrics  # noqa: F401  (registers the feed_* metrics)
from tests.helm.chart import CHART_DIR, deployment, render

FEED_METRIC = re.compile(r"\bfeed_[a-z0-9_]+\b")
OUTBOX_ALERTS = {
    "FeedOutboxLagging": "warning",
    "FeedOutboxLaggingCritical": "critical",
    "FeedOutboxRelayDown": "critical",
}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
# Queried by the dashboard for a part another branch adds; drop a name once the code exports it.
AWAITED: dict[str, str] = {}


def _register_web_metrics() -> None:
    """The web gateway may declare its metrics in its own modules: import them so they count too."""
    if importlib.util.find_spec("feed.web") is None:
        return
    package = importlib.import_module("feed.web")
    for module in pkgutil.walk_packages(package.__path__, "feed.web."):
        importlib.import_module(module.name)


def exported_series() -> set[str]:
    """Every feed_* series name the processes can expose, suffixes included."""
    _register_web_metrics()
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return {name for name in names if name.startswith("feed_")}


def _rules() -> list[dict]:
    document = yaml.safe_load((CHART_DIR / "files" / "alerts.yaml").read_text())
    assert set(document) == {"groups"}, "keep the Prometheus rule-file format: promtool loads it"
    return [rule for group in document["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((CHART_DIR / "files" / "dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_alert_rules_are_complete_and_uniquely_named():
    rules = _rules()
    assert rules
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["expr"].strip() and rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_alert_rules_query_exported_metrics():
    used = {name for rule in _rules() for name in FEED_METRIC.findall(rule["expr"])}
    assert used and used <= exported_series(), sorted(used - exported_series())


def test_dashboard_is_grafana_json_over_exported_metrics():
    dashboard = json.loads((CHART_DIR / "files" / "dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    used = {name for expr in _dashboard_exprs() for name in FEED_METRIC.findall(expr)}
    assert used and used <= exported_series() | set(AWAITED), sorted(used - exported_series() - set(AWAITED))


def test_awaited_metrics_are_not_exported_yet():
    """When the code exports one, drop it from AWAITED so the check above covers it again."""
    assert not set(AWAITED) & exported_series()


def test_the_outbox_relay_has_its_alerts():
    """Lag warns, then pages; a relay that is not running pages too (its lag gauge would vanish, not grow)."""
    rules = {rule["alert"]: rule for rule in _rules()}
    severities = {name: rules[name]["labels"]["severity"] for name in OUTBOX_ALERTS if name in rules}
    assert severities == OUTBOX_ALERTS
    for name in ("FeedOutboxLagging", "FeedOutboxLaggingCritical"):
        assert "feed_outbox_lag_seconds" in rules[name]["expr"], name


def test_relay_down_alert_looks_for_the_container_the_chart_runs():
    """The alert finds the relay by its container name: renaming the container must not silence it."""
    (selected,) = re.findall(r'container="([^"]+)"', _rule("FeedOutboxRelayDown")["expr"])
    relay = deployment(render(), "relay")
    assert [c["name"] for c in relay["spec"]["template"]["spec"]["containers"]] == [selected]


def test_dashboard_has_an_outbox_relay_row_over_the_relay_metrics():
    panels = json.loads((CHART_DIR / "files" / "dashboard.json").read_text())["panels"]
    start = next(i for i, p in enumerate(panels) if p["type"] == "row" and p["title"] == "Outbox relay")
    in_row = list(itertools.takewhile(lambda p: p["type"] != "row", panels[start + 1 :]))
    used = {name for p in in_row for t in p["targets"] for name in FEED_METRIC.findall(t["expr"])}
    assert used == {
        "feed_outbox_backlog_records",
        "feed_outbox_lag_seconds",
        "feed_outbox_published_total",
        "feed_outbox_publish_failures_total",
        "feed_outbox_last_pass_timestamp_seconds",
    }


def _rule(name: str) -> dict:
    (rule,) = [rule for rule in _rules() if rule["alert"] == name]
    return rule
