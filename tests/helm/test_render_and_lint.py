"""The chart renders and lints cleanly for the defaults and every example values file.

Rendering and linting use Helm's own engine (helm-python-sdk embeds Helm v4's Go SDK),
so these are the answers `helm template` and `helm lint --strict` would give.
"""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.helm.chart import (
    CHART_DIR,
    VALUE_SETS,
    deployment,
    example_files,
    merged_values,
    of_kind,
    one,
    render,
    rendered,
)

WARNING = 2  # lint severities: 1 info, 2 warning, 3 error
OPTIONAL_KINDS = ("HorizontalPodAutoscaler", "ScaledObject", "ServiceMonitor", "PrometheusRule")


def test_there_are_the_documented_example_files():
    assert {p.name for p in example_files()} >= {"small.yaml", "production.yaml", "autoscaling.yaml"}


def test_each_value_set_renders_the_four_workloads_and_their_services(value_set, manifests):
    names = {kind: {m["metadata"]["name"] for m in of_kind(manifests, kind)} for kind in ("Deployment", "Service")}
    values = merged_values(VALUE_SETS[value_set])
    exporter = {"feed-redis-exporter"} if values["redisExporter"]["enabled"] else set()
    web = {"feed-web"} if values["web"]["enabled"] else set()
    assert names["Deployment"] == {"feed-write", "feed-read", "feed-worker", "feed-relay"} | exporter | web
    assert names["Service"] == {"feed-write", "feed-read", "feed-worker-metrics", "feed-relay-metrics"} | exporter | web
    assert len(of_kind(manifests, "ConfigMap")) >= 1
    assert [j["metadata"]["name"] for j in of_kind(manifests, "Job")] == ["feed-schema"]


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_strict_lint_finds_no_warning_or_error(name):
    """Lint mode turns `fail` into a log line in Helm v4, so the `fail` checks are tested by rendering."""
    report = helm.lint(CHART_DIR, VALUE_SETS[name] or None, strict=True, kube_version="v1.27.0")
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert report["total_charts_linted"] == 1
    assert not problems and not report["errors"], problems or report["errors"]


def test_defaults_leave_optional_objects_out():
    manifests = render()
    for kind in OPTIONAL_KINDS:
        assert of_kind(manifests, kind) == [], kind
    assert not [c for c in of_kind(manifests, "ConfigMap") if "grafana_dashboard" in c["metadata"]["labels"]]


def test_autoscaling_example_turns_every_optional_object_on():
    manifests = rendered("autoscaling")
    for kind in OPTIONAL_KINDS:
        assert of_kind(manifests, kind), kind
    assert one(manifests, "ConfigMap", "feed-dashboard")["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_autoscaled_deployments_leave_replicas_to_the_autoscaler():
    """A replica count in the Deployment would reset the autoscaler's choice on every upgrade."""
    manifests = render(VALUE_SETS["autoscaling"])
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(manifests, "HorizontalPodAutoscaler")}
    targets |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(manifests, "ScaledObject")}
    assert targets == {"feed-write", "feed-read", "feed-worker"}
    for component in ("write", "read", "worker"):
        assert "replicas" not in deployment(manifests, component)["spec"], component


def test_fixed_size_deployments_have_their_replica_count():
    manifests = render({"write": {"replicaCount": 3}, "worker": {"replicaCount": 5}})
    assert deployment(manifests, "write")["spec"]["replicas"] == 3
    assert deployment(manifests, "worker")["spec"]["replicas"] == 5


def test_relay_is_one_pod_replaced_never_overlapped(manifests):
    """Two relays on one store could interleave their passes and reorder events: one pod, and
    an upgrade stops the old one before starting the new one, whatever else is autoscaled."""
    relay = deployment(manifests, "relay")
    assert relay["spec"]["replicas"] == 1
    assert relay["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = relay["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["relay"]
    scalers = of_kind(manifests, "HorizontalPodAutoscaler") + of_kind(manifests, "ScaledObject")
    assert "feed-relay" not in {s["spec"]["scaleTargetRef"]["name"] for s in scalers}


def test_relay_grace_period_comes_from_its_values():
    relay = deployment(render({"relay": {"terminationGracePeriodSeconds": 90}}), "relay")
    assert relay["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 90


def test_schema_job_is_a_pre_install_and_pre_upgrade_hook_that_applies_the_schema(manifests):
    job = one(manifests, "Job", "feed-schema")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["schema", "apply"]


def test_schema_job_can_be_turned_off():
    assert of_kind(render({"schemaJob": {"enabled": False}}), "Job") == []
