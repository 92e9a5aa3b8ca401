"""The web gateway's workload: it listens where the ConfigMap says, forwards to the services'
Services, is probed on /healthz, and its Ingress and demo switch follow the values."""

from __future__ import annotations

from tests.helm.chart import config_map_data, container_env, deployment, of_kind, one, port_of, render


def _container(manifests):
    (container,) = deployment(manifests, "web")["spec"]["template"]["spec"]["containers"]
    return container


def test_the_gateway_listens_on_its_service_port_and_is_probed_there(manifests):
    port = port_of(config_map_data(manifests)["FEED_WEB_ADDR"])
    container = _container(manifests)
    assert container["args"] == ["serve", "web"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == port
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": port}, probe
    (http,) = [p for p in one(manifests, "Service", "feed-web")["spec"]["ports"] if p["name"] == "http"]
    assert (http["port"], http["targetPort"]) == (port, "http")


def test_the_gateway_forwards_to_the_write_and_read_services_not_to_itself(manifests):
    data = config_map_data(manifests)
    env = container_env(manifests, _container(manifests))
    for variable, service, listen in (
        ("FEED_WRITE_ADDR", "feed-write", "FEED_WRITE_ADDR"),
        ("FEED_READ_ADDR", "feed-read", "FEED_READ_ADDR"),
        ("FEED_STREAM_ADDR", "feed-read", "FEED_STREAM_ADDR"),
    ):
        assert env[variable] == f"{service}:{port_of(data[listen])}", variable


def test_by_default_same_origin_only_no_demo_and_no_ingress():
    manifests = render()
    data = config_map_data(manifests)
    assert (data["FEED_WEB_ALLOWED_ORIGINS"], data["FEED_WEB_DEMO"]) == ("", "false")
    assert of_kind(manifests, "Ingress") == []


def test_values_turn_on_origins_the_demo_and_an_ingress():
    values = {
        "auth": {"jwt": {"existingSecret": "feed-jwt"}},
        "web": {
            "allowedOrigins": ["https://app.example.com", "http://localhost:5173"],
            "demo": True,
            "ingress": {"enabled": True, "className": "nginx", "hosts": [{"host": "feed.example.com"}]},
        },
    }
    manifests = render(values)
    data = config_map_data(manifests)
    assert data["FEED_WEB_ALLOWED_ORIGINS"] == "https://app.example.com,http://localhost:5173"
    assert data["FEED_WEB_DEMO"] == "true"
    assert "FEED_JWT_SECRET" in {e["name"] for e in _container(manifests)["env"]}  # to sign the demo's tokens
    ingress = one(manifests, "Ingress", "feed-web")["spec"]
    assert ingress["ingressClassName"] == "nginx"
    (rule,) = ingress["rules"]
    assert rule["host"] == "feed.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "feed-web", "port": {"name": "http"}}


def test_the_gateway_can_be_left_out():
    manifests = render({"web": {"enabled": False}})
    assert not [m for m in manifests if m["metadata"]["name"] == "feed-web"]
