"""Every durable-store call timed, by backend and operation, around any backend.

`open_store` wraps what it opens, so services, workers and tools all report
feed_store_operation_duration_seconds{backend, operation} without a line of
metrics code in the backends; when tracing is on (decided when the wrapper is built) each
call made inside a sampled span is also a CLIENT span `store.<operation>` (a lazy walk's
span covers its start only).
The timed methods are generated from the interfaces (every public method of PostStore,
GraphStore, OrgStore, OutboxStore and MarkerStore), so a method added to an interface is
timed, and delegated, without editing this file.
"""

from __future__ import annotations

import abc
import inspect
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from opentelemetry.trace import SpanKind

from feed.store.base import GraphStore, OrgStore, PostStore, Store
from feed.store.markers import MarkerStore
from feed.store.outbox import OutboxStore
from feed.store.quiet import QuietStore
from feed.store.reposts import RepostStore
from feed.telemetry import metrics, tracing

T = TypeVar("T", bound=type)


def _delegating(interface: type) -> Callable[[T], T]:
    """Give cls a timed, delegating version of each public method of interface."""

    def decorate(cls: T) -> T:
        for name, _ in inspect.getmembers(interface, inspect.isfunction):
            if not name.startswith("_") and name != "close" and name not in vars(cls):
                setattr(cls, name, _timed_method(name))
        abc.update_abstractmethods(cls)
        return cls

    return decorate


def _timed_method(name: str) -> Callable[..., Any]:
    span_name = f"store.{name}"

    def method(self: _Instrumented, *args: Any, **kwargs: Any) -> Any:
        if self.tracer is None or not tracing.in_sampled_span():
            return timed(self, *args, **kwargs)
        with self.tracer.start_as_current_span(
            span_name,
            kind=SpanKind.CLIENT,
            attributes={"db.system": self.backend, "db.operation": name},
            record_exception=False,  # a message may quote a statement's values
        ):
            return timed(self, *args, **kwargs)

    def timed(self: _Instrumented, *args: Any, **kwargs: Any) -> Any:
        labels = (self.backend, name)
        started = time.perf_counter()
        try:
            result = getattr(self.inner, name)(*args, **kwargs)
        except Exception:
            metrics.STORE_ERRORS.labels(*labels).inc()
            metrics.STORE_SECONDS.labels(*labels).observe(time.perf_counter() - started)
            raise
        if inspect.isgenerator(result):  # a lazy walk: time the store's share of it, not the caller's
            return _timed_walk(result, labels, time.perf_counter() - started)
        metrics.STORE_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        return result

    method.__name__ = name
    return method


def _timed_walk(items: Iterator[Any], labels: tuple[str, str], spent: float) -> Iterator[Any]:
    """Yield from items, adding up only the time spent inside them; observe once at the end."""
    try:
        while True:
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            except Exception:
                metrics.STORE_ERRORS.labels(*labels).inc()
                raise
            finally:
                spent += time.perf_counter() - started
            yield item
    finally:
        metrics.STORE_SECONDS.labels(*labels).observe(spent)


class _Instrumented:
    """Holds the wrapped store; anything not in the interface goes straight to it."""

    def __init__(self, inner: Any, backend: str) -> None:
        self.inner = inner
        self.backend = backend  # "sqlite" or "cassandra": a label, so never a URL
        self.tracer = tracing.tracer() if tracing.enabled() else None

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        if name in ("inner", "backend", "tracer"):  # not set yet: avoid recursing through __getattr__
            raise AttributeError(name)
        return getattr(self.inner, name)


@_delegating(PostStore)
class InstrumentedPostStore(_Instrumented, PostStore):
    """A PostStore that times every call of the one it wraps."""


@_delegating(GraphStore)
class InstrumentedGraphStore(_Instrumented, GraphStore):
    """A GraphStore that times every call of the one it wraps."""


@_delegating(OrgStore)
class InstrumentedOrgStore(_Instrumented, OrgStore):
    """An OrgStore that times every call of the one it wraps."""


@_delegating(OutboxStore)
class InstrumentedOutboxStore(_Instrumented, OutboxStore):
    """An OutboxStore that times every call of the one it wraps."""


@_delegating(MarkerStore)
class InstrumentedMarkerStore(_Instrumented, MarkerStore):
    """A MarkerStore that times every call of the one it wraps."""


@_delegating(QuietStore)
class InstrumentedQuietStore(_Instrumented, QuietStore):
    """A QuietStore that times every call of the one it wraps."""


@_delegating(RepostStore)
class InstrumentedRepostStore(_Instrumented, RepostStore):
    """A RepostStore that times every call of the one it wraps."""


def instrument(store: Store, backend: str) -> Store:
    """The same store with every call timed under backend."""
    return Store(
        posts=InstrumentedPostStore(store.posts, backend),
        graph=InstrumentedGraphStore(store.graph, backend),
        orgs=InstrumentedOrgStore(store.orgs, backend),
        outbox=InstrumentedOutboxStore(store.outbox, backend),
        markers=InstrumentedMarkerStore(store.markers, backend),
        quiet=InstrumentedQuietStore(store.quiet, backend),
        reposts=InstrumentedRepostStore(store.reposts, backend),
    )


def uninstrumented(store: Store) -> Store:
    """The backend under the timing wrappers: readiness checks use it, so health
    traffic does not show up as store latency."""

    def bare(half: Any) -> Any:
        return half.inner if isinstance(half, _Instrumented) else half

    return Store(
        posts=bare(store.posts),
        graph=bare(store.graph),
        orgs=bare(store.orgs),
        outbox=bare(store.outbox),
        markers=bare(store.markers),
        quiet=bare(store.quiet),
        reposts=bare(store.reposts),
    )
