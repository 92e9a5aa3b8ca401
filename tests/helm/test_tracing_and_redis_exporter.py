"""Tracing values become OpenTelemetry's standard variables on every feed process, and redis_exporter
reaches the Redis the feed uses and is scraped like the feed's own processes.

The variable names are OpenTelemetry's (the SDK reads them, not feed.config), so they are
checked by name and value here rather than by the settings recording of test_settings_match_code.
"""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.helm.chart import (
    ALL_SECRETS,
    EXPORTER_CONTAINER,
    TRACING_ON,
    config_map_data,
    container_env,
    feed_containers,
    of_kind,
    one,
    render,
)

COMPONENTS = {"feed-write": "write", "feed-read": "read", "feed-worker": "worker", "feed-relay": "relay"}
COMPONENTS["feed-web"] = "web"
COMPONENTS["feed-schema"] = "schema"


def _env_names(container: dict) -> list[str]:
    return [e["name"] for e in container.get("env", [])]


def test_tracing_off_by_default_sets_no_otel_variable():
    """No OTEL_* at all: the processes then start no exporter."""
    for name, container in feed_containers(render()):
        assert not [n for n in _env_names(container) if n.startswith(("OTEL_", "K8S_"))], name


def test_tracing_on_points_every_feed_process_at_the_collector():
    manifests = render({"tracing": TRACING_ON})
    services = {}
    assert {name for name, _ in feed_containers(manifests)} == set(COMPONENTS)
    for name, container in feed_containers(manifests):
        env = container_env(manifests, container)
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == TRACING_ON["otlpEndpoint"], name
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc", name
        assert env["OTEL_TRACES_EXPORTER"] == "otlp", name
        assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio", name
        assert float(env["OTEL_TRACES_SAMPLER_ARG"]) == 0.1, name  # the documented default
        services[name] = env["OTEL_SERVICE_NAME"]
    assert services == {name: f"feed-{component}" for name, component in COMPONENTS.items()}


def test_spans_name_their_pod_and_namespace_through_the_downward_api():
    manifests = render({"tracing": TRACING_ON})
    for name, container in feed_containers(manifests):
        entries = {e["name"]: e for e in container["env"]}
        names = _env_names(container)
        fields = {n: entries[n]["valueFrom"]["fieldRef"]["fieldPath"] for n in ("K8S_POD_NAME", "K8S_NAMESPACE_NAME")}
        assert fields == {"K8S_POD_NAME": "metadata.name", "K8S_NAMESPACE_NAME": "metadata.namespace"}, name
        attributes = dict(pair.split("=", 1) for pair in entries["OTEL_RESOURCE_ATTRIBUTES"]["value"].split(","))
        assert attributes["k8s.pod.name"] == "$(K8S_POD_NAME)", name
        assert attributes["k8s.namespace.name"] == "$(K8S_NAMESPACE_NAME)", name
        # Kubernetes expands $(NAME) only from variables defined earlier in the list.
        assert max(names.index("K8S_POD_NAME"), names.index("K8S_NAMESPACE_NAME")) < names.index(
            "OTEL_RESOURCE_ATTRIBUTES"
        ), name


def test_tracing_protocol_and_sample_ratio_come_from_the_values():
    tracing = {**TRACING_ON, "otlpEndpoint": "http://collector:4318", "protocol": "http/protobuf", "sampleRatio": 0.25}
    manifests = render({"tracing": tracing})
    for name, container in feed_containers(manifests):
        env = container_env(manifests, container)
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf", name
        assert float(env["OTEL_TRACES_SAMPLER_ARG"]) == 0.25, name


def test_tracing_on_without_an_endpoint_is_refused():
    with pytest.raises(helm.HelmError) as error:
        render({"tracing": {"enabled": True}})
    assert "tracing.otlpEndpoint is required" in str(error.value)


@pytest.mark.parametrize(
    ("tracing", "where"),
    [({"protocol": "http"}, "/tracing/protocol"), ({"sampleRatio": 1.5}, "/tracing/sampleRatio")],
    ids=["unknown-protocol", "ratio-above-one"],
)
def test_bad_tracing_values_are_refused_by_the_schema(tracing, where):
    with pytest.raises(helm.HelmError) as error:
        render({"tracing": {**TRACING_ON, **tracing}})
    assert where in str(error.value)


def test_redis_exporter_is_off_by_default():
    manifests = render()
    assert "feed-redis-exporter" not in {m["metadata"]["name"] for m in manifests}


def _exporter(manifests: list[dict]) -> dict:
    (container,) = one(manifests, "Deployment", "feed-redis-exporter")["spec"]["template"]["spec"]["containers"]
    assert container["name"] == EXPORTER_CONTAINER
    return container


def test_redis_exporter_reads_the_redis_the_feed_uses_with_its_password_from_the_secret():
    manifests = render({**ALL_SECRETS, "redisExporter": {"enabled": True}})
    container = _exporter(manifests)
    env = {e["name"]: e for e in container["env"]}
    feed_url = container_env(manifests, feed_containers(manifests)[0][1])["FEED_REDIS_URL"]
    assert feed_url == "redis://:<from-secret>@redis-master:6379/0"
    assert env["REDIS_ADDR"]["value"] == "redis://redis-master:6379/0"  # the same Redis, without credentials
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "feed-redis", "key": "redis-password"}
    repository, _, tag = container["image"].rpartition(":")
    assert repository == "oliver006/redis_exporter" and tag.startswith("v") and tag != "latest"


def test_redis_exporter_without_a_redis_password_gets_none():
    env = {e["name"] for e in _exporter(render({"redisExporter": {"enabled": True}}))["env"]}
    assert "REDIS_PASSWORD" not in env


def test_redis_exporter_listens_where_its_service_and_probes_point():
    manifests = render({"redisExporter": {"enabled": True, "port": 9200}})
    container = _exporter(manifests)
    env = {e["name"]: e.get("value") for e in container["env"]}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert env["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] == ":9200" and ports == {"metrics": 9200}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "metrics"}, probe
    service = one(manifests, "Service", "feed-redis-exporter")
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "metrics"
    pod_labels = one(manifests, "Deployment", "feed-redis-exporter")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_the_chart_service_monitor_scrapes_the_redis_exporter():
    """So the dashboard's Redis panels have data as soon as both are on."""
    manifests = render({"redisExporter": {"enabled": True}, "monitoring": {"serviceMonitor": {"enabled": True}}})
    (monitor,) = of_kind(manifests, "ServiceMonitor")
    service = one(manifests, "Service", "feed-redis-exporter")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_the_redis_exporter_leaves_the_feed_configuration_alone():
    assert config_map_data(render({"redisExporter": {"enabled": True}})) == config_map_data(render())
