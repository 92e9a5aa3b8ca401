"""Ports and probes point where the processes really listen and at what they really serve.

The ports come from the addresses the chart hands the code (FEED_*_ADDR in the
ConfigMap); the gRPC service names come from the generated descriptors and from the
names each server registers with its health service.
"""

from __future__ import annotations

import pytest

from feed.cli import main as feed_main
from feed.v1 import feed_service_pb2, post_service_pb2
from services import read_service, write_service
from tests.helm.chart import config_map_data, deployment, feed_containers, of_kind, one, port_of

GRPC_SERVICES = {
    # component: (address variable, the gRPC service its readiness asks about, names the server registers)
    "write": ("FEED_WRITE_ADDR", post_service_pb2.DESCRIPTOR.services_by_name["PostService"], write_service),
    "read": ("FEED_READ_ADDR", feed_service_pb2.DESCRIPTOR.services_by_name["FeedService"], read_service),
}


def _container(manifests, component):
    (container,) = deployment(manifests, component)["spec"]["template"]["spec"]["containers"]
    return container


def _ports(container):
    return {p["name"]: p["containerPort"] for p in container["ports"]}


@pytest.mark.parametrize("component", sorted(GRPC_SERVICES))
def test_grpc_port_is_the_one_the_service_listens_on(manifests, component):
    variable, _, _ = GRPC_SERVICES[component]
    port = port_of(config_map_data(manifests)[variable])
    assert _ports(_container(manifests, component))["grpc"] == port
    service = one(manifests, "Service", f"feed-{component}")
    (grpc,) = [p for p in service["spec"]["ports"] if p["name"] == "grpc"]
    assert (grpc["port"], grpc["targetPort"], grpc["appProtocol"]) == (port, "grpc", "grpc")


def test_stream_port_is_the_one_the_read_pods_stream_server_listens_on(manifests):
    port = port_of(config_map_data(manifests)["FEED_STREAM_ADDR"])
    assert _ports(_container(manifests, "read"))["stream"] == port
    assert "stream" not in _ports(_container(manifests, "write"))
    service = one(manifests, "Service", "feed-read")
    (stream,) = [p for p in service["spec"]["ports"] if p["name"] == "stream"]
    assert (stream["port"], stream["targetPort"], stream["appProtocol"]) == (port, "stream", "grpc")


@pytest.mark.parametrize("component", sorted(GRPC_SERVICES))
def test_grpc_probes_ask_the_health_service_about_the_real_service(manifests, component):
    variable, descriptor, module = GRPC_SERVICES[component]
    assert descriptor.full_name in module.SERVICE_NAMES  # what the server marks SERVING
    port = port_of(config_map_data(manifests)[variable])
    container = _container(manifests, component)
    assert container["readinessProbe"]["grpc"] == {"port": port, "service": descriptor.full_name}
    # Liveness and startup ask about the process ("liveness" stays SERVING while it runs):
    # a dependency problem turns readiness off but must not restart every replica.
    from services.server import LIVENESS

    assert container["livenessProbe"]["grpc"] == {"port": port, "service": LIVENESS}
    assert container["startupProbe"]["grpc"] == {"port": port, "service": LIVENESS}


def test_metrics_port_is_the_one_every_process_serves(manifests):
    port = port_of(config_map_data(manifests)["FEED_METRICS_ADDR"])
    for component in ("write", "read", "worker", "relay"):
        assert _ports(_container(manifests, component))["metrics"] == port, component
    for service in of_kind(manifests, "Service"):
        (metrics,) = [p for p in service["spec"]["ports"] if p["name"] == "metrics"]
        assert (metrics["port"], metrics["targetPort"]) == (port, "metrics"), service["metadata"]["name"]


@pytest.mark.parametrize("component", ["worker", "relay"])
def test_worker_and_relay_probes_read_their_metrics_endpoint(manifests, component):
    port = port_of(config_map_data(manifests)["FEED_METRICS_ADDR"])
    container = _container(manifests, component)
    assert set(_ports(container)) == {"metrics"}  # neither takes calls
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/metrics", "port": port}, probe
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": port}


def test_listen_addresses_bind_every_interface_of_the_pod(manifests):
    """127.0.0.1, the code's default, would be unreachable from the kubelet and the Service."""
    data = config_map_data(manifests)
    for variable in ("FEED_WRITE_ADDR", "FEED_READ_ADDR", "FEED_STREAM_ADDR", "FEED_METRICS_ADDR"):
        assert data[variable].rpartition(":")[0] == "0.0.0.0", variable


def test_container_args_are_commands_the_cli_accepts(manifests, capsys):
    """`feed ARGS --help` exits 0 only when every word of ARGS names a real command."""
    for name, container in feed_containers(manifests):
        with pytest.raises(SystemExit) as stop:
            feed_main([*container["args"], "--help"])
        assert stop.value.code == 0, (name, container["args"])
    capsys.readouterr()
