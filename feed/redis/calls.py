"""The one policy for a Redis round trip: how it is timed and what a Redis that does not answer becomes.

Every round trip of the project's Redis clients (function calls, packed pipelines,
the post cache, the rate limiter, the library load) goes through round_trip():

- Timed: observed in feed_redis_operation_duration_seconds under one operation label
  (a function name, "pipeline" for a mix of functions, or a fixed name such as
  "post_cache_get": a small, fixed set), and counted in
  feed_redis_operation_errors_total when it raises.
- Not answering: a refused, reset or timed-out connection (every socket operation is
  bounded by SOCKET_TIMEOUT_S, feed/redis/connection.py) is not retried here. It
  becomes feed.errors.Unavailable, chained to redis-py's error: the gRPC edge
  answers UNAVAILABLE and the fan-out worker retries its batch. Whatever redis-py retries
  below this (nothing on a standalone client, its own retries on a cluster) stays.
- Any other error answer (WRONGTYPE, a Lua error) is raised as redis-py raised it.

What to do when Redis lost the function library is the other half of the policy,
RedisFunctions.send (feed/redis/connection.py): reload it, redo once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

import redis

from feed.errors import Unavailable
from feed.telemetry import metrics, tracing

Call = tuple[str, list[str], list[Any]]  # (function name, keys, args): one FCALL


class OptionalCall(tuple):
    """A Call whose error answer is handed back in its place instead of failing the round trip: an
    optional source (a read-time list) riding in a required read (a home page) must not fail it."""

    __slots__ = ()


class Rider(Protocol):
    """A call that rides in another operation's pipelined round trip (a rate-limit budget, a version read
    in a page's): call() is what to send, settle(reply) takes its answer and raises if the operation
    must not go on; settle_alone() does without a pipeline, for a backend that has none."""

    def call(self) -> Call: ...

    def settle(self, reply: Any) -> None: ...

    def settle_alone(self) -> None: ...


PIPELINE = "pipeline"  # the operation label of a round trip mixing several functions
# As the gRPC edge words any dependency failure: the caller learns to retry, not our internals.
UNAVAILABLE_MESSAGE = "a backing service is unavailable; retry shortly"
_NOT_ANSWERING = (redis.ConnectionError, redis.TimeoutError)

log = logging.getLogger("feed.redis")


class round_trip:  # a function by use: `with round_trip("tl_page"):`
    """Time one Redis round trip under operation; a Redis that does not answer raises Unavailable.

    A class rather than a generator context manager: it runs around every round trip of every page
    (two generator frames and two label lookups cost about 4 us; this about 1 us)."""

    __slots__ = ("_operation", "_span", "_started")

    def __init__(self, operation: str) -> None:
        self._operation = operation
        self._span: contextlib.AbstractContextManager[None] | None = None

    def __enter__(self) -> None:
        if tracing.enabled():  # a CLIENT span when the caller's span is sampled (feed.telemetry.tracing)
            self._span = tracing.client_span(f"redis {self._operation}", {"db.system": "redis"})
            self._span.__enter__()
        self._started = time.perf_counter()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        operation = self._operation
        try:
            _seconds(operation).observe(time.perf_counter() - self._started)
            if exc_type is not None and issubclass(exc_type, Exception):
                _errors(operation).inc()
                if isinstance(exc, _NOT_ANSWERING):
                    raise unavailable(operation, exc) from exc
        finally:
            if self._span is not None:
                self._span.__exit__(exc_type, exc, tb)


# Labelled children looked up once per operation (a small, fixed set: see the module's docstring).
@functools.lru_cache(maxsize=256)
def _seconds(operation: str) -> Any:
    return metrics.REDIS_SECONDS.labels(operation)


@functools.lru_cache(maxsize=256)
def _errors(operation: str) -> Any:
    return metrics.REDIS_ERRORS.labels(operation)


def unavailable(operation: str, exc: Exception) -> Exception:
    """Unavailable for a Redis that did not answer (the caller chains exc to it); any other error as it is."""
    if not isinstance(exc, _NOT_ANSWERING):
        return exc
    log.warning("redis did not answer %s: %s", operation, type(exc).__name__)
    return Unavailable(UNAVAILABLE_MESSAGE)  # exactly Unavailable: the gRPC edge maps errors by their class


def operation_of(calls: Sequence[Call]) -> str:
    """The label of a round trip of calls: their function name when all share one, else PIPELINE."""
    names = {name for name, _, _ in calls}
    return names.pop() if len(names) == 1 else PIPELINE


def function_missing(reply: Any) -> bool:
    """True for the answer of a call that found no function: Redis lost the library."""
    return isinstance(reply, redis.ResponseError) and "Function not found" in str(reply)


def raise_first_error(operation: str, replies: list[Any], calls: Sequence[Call] = ()) -> list[Any]:
    """The replies, unless one is an error answer: then that error (a silent Redis as Unavailable).
    An OptionalCall's error answer stays in its place, for its caller to take."""
    for i, reply in enumerate(replies):
        if isinstance(reply, Exception) and not (calls and isinstance(calls[i], OptionalCall)):
            error = unavailable(operation, reply)
            if error is reply:
                raise reply
            raise error from reply
    return replies
