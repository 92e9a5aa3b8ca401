"""The alert rules pass promtool's checks and unit tests; the dashboard is the generator's output.

promtool comes from Debian's prometheus package; `make test` puts it in place
with monitoring/install-promtool.sh (promtool only, no Prometheus server).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring import dashboard

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "helm" / "feed" / "files" / "alerts.yaml"
RULE_TESTS = ROOT / "monitoring" / "alerts_test.yaml"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool") or shutil.which("promtool", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("promtool is missing: run monitoring/install-promtool.sh (make test does)")
    return found


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_promtool_accepts_the_alert_rules(promtool):
    assert "SUCCESS" in run(promtool, "check", "rules", str(RULES))


def test_every_alert_passes_its_promtool_unit_tests(promtool):
    assert "SUCCESS" in run(promtool, "test", "rules", str(RULE_TESTS))


def test_every_alert_has_a_unit_test():
    import yaml

    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    tested = {c["alertname"] for t in yaml.safe_load(RULE_TESTS.read_text())["tests"] for c in t["alert_rule_test"]}
    assert alerts == tested, alerts ^ tested


def test_the_dashboard_file_is_what_the_generator_writes():
    committed = (ROOT / "helm" / "feed" / "files" / "dashboard.json").read_text()
    assert committed == dashboard.render(), "run: .venv/bin/python -m monitoring.dashboard"


def test_every_dashboard_panel_has_a_query_and_a_place():
    model = json.loads(dashboard.render())
    panels = [p for p in model["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
    for panel in panels:
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert panel["gridPos"]["w"] > 0 and panel["description"], panel["title"]
    titles = " ".join(p["title"] for p in panels)
    for needed in ("Request rate", "error ratio", "duration", "lag", "Publish to delivered", "rebuilt", "hit ratio"):
        assert needed in titles, needed
    assert any("redis_memory_used_bytes" in t["expr"] for p in panels for t in p["targets"])


def _panels() -> list[dict]:
    return [p for p in json.loads(dashboard.render())["panels"] if p["type"] != "row"]


def _panel_over(metric: str, grouped_by: str = "") -> dict:
    """The one panel that queries metric, grouped by those labels when given."""
    (found,) = [
        p for p in _panels() if any(metric in t["expr"] and f"by ({grouped_by}" in t["expr"] for t in p["targets"])
    ]
    return found


def test_every_latency_panel_shows_exemplars_that_open_their_trace():
    """A latency bucket's exemplar carries a trace_id: each latency panel asks for them and links the id to
    the trace in the datasource the $tracing variable picks."""
    model = json.loads(dashboard.render())
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["tracing"]["type"] == "datasource"
    latency = [p for p in _panels() if any("_seconds_bucket" in t["expr"] for t in p["targets"])]
    assert {"Call duration p50 / p99", "Publish to delivered (publish to visible)"} <= {p["title"] for p in latency}
    for panel in latency:
        assert all(t["exemplar"] is True for t in panel["targets"]), panel["title"]
        (link,) = panel["fieldConfig"]["defaults"]["links"]
        assert "${tracing}" in link["url"] and "${__data.fields.trace_id}" in link["url"], panel["title"]
    others = [p for p in _panels() if p not in latency]
    assert others and not any(t["exemplar"] for p in others for t in p["targets"])


def test_the_dashboard_shows_open_streams_stage_filtering_and_web_requests():
    assert "sum(feed_streams_open" in " ".join(t["expr"] for t in _panel_over("feed_streams_open")["targets"])
    (share,) = [p for p in _panels() if p["title"] == "Share of posts each stage removed"]
    (expr,) = [t["expr"] for t in share["targets"]]
    removed, _, reached = expr.partition(" / ")
    assert 'outcome="removed"' in removed and "outcome" not in reached and "by (stage)" in reached
    # The gateway's metric name and labels: they must match what feed/web exports.
    web = _panel_over("feed_web_requests_total", "procedure, code")
    assert web["targets"][0]["legendFormat"] == "{{procedure}} {{code}}"


def test_panels_sit_side_by_side_without_overlapping():
    cells = set()
    for panel in json.loads(dashboard.render())["panels"]:
        grid = panel["gridPos"]
        mine = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine
