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
