"""Tracing turned on for one test, its spans kept by the SDK's in-memory exporter."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from feed.telemetry import tracing


@pytest.fixture
def spans():
    """The exporter of a process whose OTEL_* turned tracing on (everything sampled); off again after."""
    exporter = InMemorySpanExporter()
    assert tracing.configure("test-service", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, exporter)
    yield exporter
    tracing.shutdown()
    assert not tracing.enabled()
