"""Every rendered manifest is valid Kubernetes, checked against the API's JSON schemas.

kubernetes-validate ships the schemas of each Kubernetes release; strict mode also
rejects unknown fields. The custom resources (KEDA, Prometheus Operator) have no schema
there: they are listed explicitly and their structure is checked by hand below.
"""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
import yaml

from tests.helm.chart import CHART_DIR, VALUE_SETS, deployment, merged_values, of_kind, one, render

# Custom resources: no schema in kubernetes-validate, so they are checked below instead.
CUSTOM_RESOURCES = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def _kube_versions() -> list[str]:
    """The oldest release the chart supports (Chart.yaml kubeVersion) and the newest with schemas."""
    constraint = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["kubeVersion"]
    oldest = re.search(r">=\s*v?(\d+\.\d+)", constraint).group(1)
    return [f"{oldest}.0", kubernetes_validate.utils.latest_version()]


@pytest.mark.parametrize("kube_version", _kube_versions())
def test_every_built_in_manifest_matches_the_kubernetes_schema(manifests, kube_version):
    for manifest in manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_RESOURCES:
            continue
        where = f"{manifest['kind']} {manifest['metadata']['name']}"
        try:
            kubernetes_validate.validate(manifest, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where} at {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            pytest.fail(f"{where}: {exc.message}; a custom resource belongs in CUSTOM_RESOURCES")


def test_the_validator_rejects_a_misspelt_field():
    """Guards the test above against passing vacuously."""
    manifest = deployment(render(), "write")
    manifest = {**manifest, "spec": {**manifest["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, _kube_versions()[-1], strict=True)


def test_scaled_object_scales_the_workers_on_kafka_lag_within_the_partitions():
    manifests = render(VALUE_SETS["autoscaling"])
    values = merged_values(VALUE_SETS["autoscaling"])
    scaled = one(manifests, "ScaledObject", "feed-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "feed-worker"}
    assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= values["kafka"]["partitions"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    assert {"bootstrapServers", "consumerGroup", "topic", "lagThreshold"} <= set(trigger["metadata"])
    # KEDA's trigger metadata is a map of strings; a bare number is rejected by its webhook.
    assert all(isinstance(v, str) for v in trigger["metadata"].values()), trigger["metadata"]


def test_service_monitor_scrapes_the_metrics_port_of_every_service():
    manifests = render(VALUE_SETS["autoscaling"])
    monitor = one(manifests, "ServiceMonitor", "feed")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    selected = [s for s in of_kind(manifests, "Service") if selector.items() <= s["metadata"]["labels"].items()]
    assert {s["metadata"]["name"] for s in selected} == {
        "feed-write",
        "feed-read",
        "feed-worker-metrics",
        "feed-relay-metrics",
        "feed-web",
    }
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    for service in selected:
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}, service["metadata"]["name"]


def test_prometheus_rule_carries_rule_groups():
    rule = one(render(VALUE_SETS["autoscaling"]), "PrometheusRule", "feed")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(rule["spec"]) == {"groups"}
    for group in rule["spec"]["groups"]:
        assert group["name"] and group["rules"]
        for entry in group["rules"]:
            assert ("alert" in entry) != ("record" in entry) and entry["expr"], entry


def test_each_autoscaler_and_budget_targets_pods_the_chart_runs(manifests):
    deployments = {d["metadata"]["name"]: d for d in of_kind(manifests, "Deployment")}
    for hpa in of_kind(manifests, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    for budget in of_kind(manifests, "PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, (budget["metadata"]["name"], matched)
