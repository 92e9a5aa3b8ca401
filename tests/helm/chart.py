"""Render helm/feed with Helm's own engine (helm-python-sdk, no helm binary) and read the result.

Every test of the chart goes through here, so they all see what `helm install` would
send to the cluster, not a re-implementation of Helm's templating.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "helm" / "feed"
RELEASE = "feed"
NAMESPACE = "feed"
SECRET_PLACEHOLDER = "<from-secret>"
EXPORTER_CONTAINER = "redis-exporter"  # redisExporter.enabled: the one container that does not run feed
_VARIABLE_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# Every value the chart takes from a Secret, set, so that every secret path renders.
ALL_SECRETS = {
    "redis": {"auth": {"existingSecret": "feed-redis"}},
    "cassandra": {"auth": {"username": "feed", "existingSecret": "feed-cassandra"}},
    "auth": {"jwt": {"existingSecret": "feed-jwt"}},
}
TRACING_ON = {"enabled": True, "otlpEndpoint": "http://otel-collector.observability:4317"}


def example_files() -> list[Path]:
    """The documented values files shipped with the chart."""
    return sorted((CHART_DIR / "examples").glob("*.yaml"))


def load_values(path: Path) -> dict[str, Any]:
    """A values file parsed as `helm install -f` parses it."""
    return helm.values_from_yaml(path.read_text())


VALUE_SETS: dict[str, dict[str, Any]] = {"default": {}, **{p.stem: load_values(p) for p in example_files()}}


@functools.cache
def chart() -> helm.Chart:
    """The chart, loaded once per test session (loading parses every template)."""
    return helm.Chart.load(CHART_DIR)


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every manifest the chart renders for values, as dicts; NOTES.txt left out."""
    out = chart().render(values or None, name=RELEASE, namespace=NAMESPACE)
    manifests: list[dict[str, Any]] = []
    for path, text in sorted(out.items()):
        if path.endswith(".yaml"):
            manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


@functools.cache
def _rendered_set(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(render(VALUE_SETS[name]))


def rendered(name: str) -> list[dict[str, Any]]:
    """The manifests of one named value set ("default" or an example's stem), rendered once."""
    return list(_rendered_set(name))


def merged_values(values: dict[str, Any]) -> dict[str, Any]:
    """values over the chart's defaults, as an install coalesces them."""
    return chart().merge_values(values or None)


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The manifest of that kind and name; fails the test when it is missing."""
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def deployment(manifests: list[dict[str, Any]], component: str) -> dict[str, Any]:
    return one(manifests, "Deployment", f"{RELEASE}-{component}")


def feed_containers(manifests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(workload name, container) for every container that runs the feed image: all but redis_exporter's."""
    return [
        (workload["metadata"]["name"], container)
        for workload in manifests
        if workload["kind"] in ("Deployment", "Job")
        for container in workload["spec"]["template"]["spec"]["containers"]
        if container["name"] != EXPORTER_CONTAINER
    ]


def pod_specs(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pod spec of every Deployment and Job."""
    return [m["spec"]["template"]["spec"] for m in manifests if m["kind"] in ("Deployment", "Job")]


def config_map_data(manifests: list[dict[str, Any]]) -> dict[str, str]:
    return one(manifests, "ConfigMap", f"{RELEASE}-config")["data"]


def container_env(manifests: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The environment the container's process would see, as the kubelet builds it.

    envFrom first, then env, which wins; $(NAME) in an env value expands to a variable
    defined before it (and only before it); values from Secrets become a placeholder.
    """
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_map_data(manifests) if "configMapRef" in source else {})
    for entry in container.get("env", []):
        if "valueFrom" in entry:
            env[entry["name"]] = SECRET_PLACEHOLDER
        else:
            env[entry["name"]] = _VARIABLE_REF.sub(lambda ref: env.get(ref.group(1), ref.group(0)), entry["value"])
    return env


def port_of(addr: str) -> int:
    """The port of a HOST:PORT setting such as FEED_WRITE_ADDR."""
    return int(addr.rpartition(":")[2])
