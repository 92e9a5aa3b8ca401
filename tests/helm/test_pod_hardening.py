"""Every pod runs hardened and bounded, and secrets only ever come from Secrets by reference."""

from __future__ import annotations

from tests.helm.chart import (
    ALL_SECRETS,
    TRACING_ON,
    VALUE_SETS,
    config_map_data,
    merged_values,
    of_kind,
    pod_specs,
    render,
)


def test_pods_run_as_the_fixed_non_root_user(value_set, manifests):
    values = merged_values(VALUE_SETS[value_set])
    for pod in pod_specs(manifests):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == values["runAsUser"] != 0
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False


def test_containers_are_locked_down(manifests):
    for pod in pod_specs(manifests):
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_tmp_is_the_only_writable_path_and_is_an_empty_dir(manifests):
    for pod in pod_specs(manifests):
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert set(mounts) == {"/tmp"}
            assert "emptyDir" in volumes[mounts["/tmp"]]


def test_every_container_has_cpu_and_memory_requests_and_limits(manifests):
    for pod in pod_specs(manifests):
        for container in pod["containers"]:
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, (container["name"], bound)


def test_deployments_spread_their_own_pods(manifests):
    for workload in of_kind(manifests, "Deployment"):
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        for constraint in workload["spec"]["template"]["spec"].get("topologySpreadConstraints", []):
            assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()
            assert constraint["matchLabelKeys"] == ["pod-template-hash"]


def test_no_secret_is_rendered_and_secret_values_come_by_reference():
    manifests = render(ALL_SECRETS)
    assert of_kind(manifests, "Secret") == []
    # *_FILE variables hold the path of a mounted file, never the secret itself
    secretive = [
        k for k in config_map_data(manifests) if ("PASSWORD" in k or "SECRET" in k) and not k.endswith("_FILE")
    ]
    assert not secretive
    for pod in pod_specs(manifests):
        for container in pod["containers"]:
            for entry in container.get("env", []):
                if "PASSWORD" in entry["name"] or "SECRET" in entry["name"]:
                    assert set(entry) == {"name", "valueFrom"}
                    assert set(entry["valueFrom"]) == {"secretKeyRef"}, entry["name"]


def test_each_process_gets_only_the_secrets_it_uses():
    manifests = render({**ALL_SECRETS, "redisExporter": {"enabled": True}, "tracing": TRACING_ON})
    secrets = {}
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        from_secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
        secrets[workload["metadata"]["name"]] = from_secrets
    assert secrets == {
        "feed-redis-exporter": {"REDIS_PASSWORD"},
        "feed-write": {"FEED_CASSANDRA_PASSWORD", "REDIS_PASSWORD", "FEED_JWT_SECRET"},
        "feed-read": {"FEED_CASSANDRA_PASSWORD", "REDIS_PASSWORD", "FEED_JWT_SECRET"},
        "feed-worker": {"FEED_CASSANDRA_PASSWORD", "REDIS_PASSWORD"},
        "feed-relay": {"FEED_CASSANDRA_PASSWORD", "REDIS_PASSWORD"},  # Redis: only for its readiness check
        "feed-schema": {"FEED_CASSANDRA_PASSWORD"},
        "feed-web": set(),  # no store, no Redis; the JWT secret only with web.demo
    }
