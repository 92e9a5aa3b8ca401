"""OpenTelemetry tracing: on only when the standard OTEL_* variables ask for it.

Unset (no OTEL_TRACES_EXPORTER, or `none`, and no OTLP endpoint), nothing is set up and
`enabled()` stays False: the hooks (gRPC interceptor, store wrapper, relay, worker) test that
flag once, when they are built, and the hot paths create no span and call no SDK code at all.
Set, each process gets the SDK's TracerProvider (sampler from OTEL_TRACES_SAMPLER and
OTEL_TRACES_SAMPLER_ARG, e.g. parentbased_traceidratio 0.1), a BatchSpanProcessor (OTEL_BSP_*)
and the OTLP/gRPC exporter (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT ...).
Spans carry ids, names and counts, never post text, tokens or a statement's values. Store and
Redis calls get a span only inside a sampled one (in_sampled_span). OTEL_SERVICE_NAME wins over the
process's own name. The provider is flushed and shut down at exit, within FLUSH_S, so a
SIGTERM'd process still exports its last spans.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.trace import SpanKind, get_current_span

log = logging.getLogger("feed.tracing")
TRACER_NAME = "feed"
FLUSH_S = 5.0  # at exit: well inside the services' 10 s grace and the chart's termination grace

_tracer: Any = None  # an opentelemetry Tracer once configure() turned tracing on
_provider: Any = None


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether OTEL_* asks for traces: an exporter named (not `none`), or an OTLP endpoint given."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def configure(service_name: str, environ: Mapping[str, str] = os.environ, exporter: Any = None) -> bool:
    """Turn tracing on for this process if OTEL_* asks for it; True if it is on. Call once, at startup,
    before building servers, stores and workers (they look at enabled() when built). An exporter
    given (a test's) is called synchronously, as each span ends, instead of OTEL_TRACES_EXPORTER's."""
    global _tracer, _provider
    if _tracer is not None or not wanted(environ):
        return _tracer is not None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    name = environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}), shutdown_on_exit=False)
    processor = BatchSpanProcessor(_exporter(environ)) if exporter is None else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _provider, _tracer = provider, provider.get_tracer(TRACER_NAME)
    atexit.register(shutdown)
    log.info("tracing on", extra={"service_name": name})
    return True


def enabled() -> bool:
    """True once configure() turned tracing on."""
    return _tracer is not None


def tracer() -> Any:
    """This process's tracer; only call it when enabled()."""
    if _tracer is None:
        raise RuntimeError("tracing is off: check enabled() first")
    return _tracer


def shutdown() -> None:
    """Export what is buffered and stop the exporter, giving up after FLUSH_S (a collector that does
    not answer must not hold the process's exit); harmless when off or repeated."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is None:
        return

    def flush_and_stop() -> None:
        provider.force_flush(int(FLUSH_S * 1000))
        provider.shutdown()

    # On a thread of its own: the exporter's retries can outlast FLUSH_S (OTEL_EXPORTER_OTLP_TIMEOUT,
    # 10 s by default), and neither call takes a deadline for all of it. A daemon: abandoned at exit.
    stopping = threading.Thread(target=flush_and_stop, name="tracing-shutdown", daemon=True)
    stopping.start()
    stopping.join(FLUSH_S)


@contextlib.contextmanager
def client_span(name: str, attributes: dict[str, Any]) -> Iterator[None]:
    """A CLIENT span around a call to a dependency (a Redis round trip) made for a sampled span; only
    call it when enabled()."""
    if not in_sampled_span():
        yield
        return
    with tracer().start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes, record_exception=False):
        yield


def in_sampled_span() -> bool:
    """Whether a recording span is current: a dependency call gets a span of its own only then.

    A call outside any span (a readiness probe's PING, the relay's idle outbox poll) serves no
    request, and one inside an unsampled trace would be dropped by the parent-based sampler
    anyway: skipping both spares the ~10 us a dropped span still costs (90% of calls at 10%)."""
    return get_current_span().is_recording()


def current_trace_id(sampled_only: bool = False) -> str | None:
    """The current span's trace id (32 hex digits), if tracing is on and a span (sampled, if asked) is current."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid or (sampled_only and not context.trace_flags.sampled):
        return None
    return trace.format_trace_id(context.trace_id)


def current_ids() -> tuple[str, str] | None:
    """The current span's (trace id, span id) in hex, if tracing is on and a span is current."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def _exporter(environ: Mapping[str, str]) -> Any:
    """The span exporter OTEL_TRACES_EXPORTER names: otlp (the default; OTLP over gRPC) or console."""
    kind = environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind != "otlp":
        log.warning("OTEL_TRACES_EXPORTER=%s is not supported; exporting with otlp", kind)
    protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    # Headers, timeout, compression, TLS: the exporter reads OTEL_EXPORTER_OTLP_* itself.
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if protocol == "http/protobuf":  # the chart's tracing.protocol offers it (collectors on 4318)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        # The generic endpoint is a base URL: OTLP/HTTP posts traces to its /v1/traces path.
        if endpoint and not environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return HttpExporter(endpoint=endpoint or None)
    if protocol != "grpc":
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported; exporting over grpc", protocol)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint or None)
