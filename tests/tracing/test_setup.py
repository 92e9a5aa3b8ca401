"""Which OTEL_* settings turn tracing on, and what a process is called."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from feed.telemetry import tracing

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({**ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, False),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}, False),
        (ENDPOINT, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ],
)
def test_tracing_is_on_only_when_an_exporter_or_endpoint_is_set(environ, on):
    assert tracing.wanted(environ) is on


NAMED = {**ENDPOINT, "OTEL_SERVICE_NAME": "feed-eu"}


@pytest.mark.parametrize(("environ", "name"), [(ENDPOINT, "read-service"), (NAMED, "feed-eu")])
def test_a_process_is_named_after_its_role_unless_otel_service_name_says(environ, name):
    exporter = InMemorySpanExporter()
    assert tracing.configure("read-service", environ, exporter)
    try:
        with tracing.tracer().start_as_current_span("call"):
            pass
    finally:
        tracing.shutdown()
    (span,) = exporter.get_finished_spans()
    assert span.resource.attributes["service.name"] == name


@pytest.mark.parametrize(
    ("environ", "kind", "endpoint"),
    [
        (ENDPOINT, "grpc", None),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, "http", "http://collector:4317/v1/traces"),
        (
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            },
            "http",
            "http://c:4318/custom",
        ),
    ],
)
def test_the_chart_s_protocols_each_get_their_exporter(environ, kind, endpoint):
    """The chart offers tracing.protocol grpc and http/protobuf: each must export with its own wire."""
    exporter = tracing._exporter(environ)
    assert f".proto.{kind}." in type(exporter).__module__
    if endpoint:
        assert exporter._endpoint == endpoint
