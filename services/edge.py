"""The gRPC edge: domain errors to status codes in one place, domain posts and groups to protos and back."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import grpc
import redis
from kafka.errors import KafkaError

from feed import errors
from feed.access.tokens import Unauthenticated
from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group
from feed.read.wire import SplicedPage, post_message
from feed.v1 import feed_service_pb2_grpc, group_service_pb2

log = logging.getLogger("feed.rpc")

STATUS_OF = {
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Aborted: grpc.StatusCode.ABORTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
}
RETRY_AFTER_KEY = "retry-after-ms"  # trailing metadata: when a refused call may be retried
# Dependency failures: the client may retry; the message names no internals.
# sqlite3.OperationalError: the local store was locked past its busy timeout.
TRANSIENT = (
    redis.ConnectionError,
    redis.TimeoutError,
    KafkaError,
    TimeoutError,
    ConnectionError,
    sqlite3.OperationalError,
)


def rpc(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a servicer method so every failure becomes a status with a clear message."""

    @functools.wraps(method)
    def wrapper(self, request, context: grpc.ServicerContext):
        try:
            return method(self, request, context)
        except errors.FeedError as exc:
            if isinstance(exc, errors.ResourceExhausted):
                _add_trailing(context, (RETRY_AFTER_KEY, str(exc.retry_after_ms)))
            context.abort(STATUS_OF.get(type(exc), grpc.StatusCode.INTERNAL), str(exc))
        except TRANSIENT as exc:
            log.warning("dependency unavailable in %s: %s", method.__name__, type(exc).__name__)
            context.abort(grpc.StatusCode.UNAVAILABLE, "a backing service is unavailable; retry shortly")
        except Exception:
            log.exception("unexpected error in %s", method.__name__)
            context.abort(grpc.StatusCode.INTERNAL, "internal error")

    return wrapper


def _add_trailing(context: grpc.ServicerContext, item: tuple[str, str]) -> None:
    """Add to the trailing metadata, keeping what the interceptors put there (the request id)."""
    current = tuple(context.trailing_metadata() or ()) if hasattr(context, "trailing_metadata") else ()
    context.set_trailing_metadata((*current, item))


# One encoding of a post for every answer: the spliced pages' bytes are made by the same function.
post_to_proto = post_message


def _spliced_or(serialize: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """serialize, except for a response that already is its bytes (a SplicedPage): sent as they are."""

    def serializer(response: Any) -> bytes:
        return response.data if response.__class__ is SplicedPage else serialize(response)

    return serializer


class _Captured:
    """Stands in for a server while a generated add_*Servicer_to_server registers: keeps its handlers."""

    def __init__(self) -> None:
        self.service = ""
        self.methods: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # the same handlers come again by name below

    def add_registered_method_handlers(self, service: str, methods: dict[str, grpc.RpcMethodHandler]) -> None:
        self.service, self.methods = service, dict(methods)


def add_servicer(add: Callable[[Any, Any], None], servicer: Any, server: Any, bytes_methods: frozenset[str]) -> None:
    """Register servicer as the generated add would, but the methods named in bytes_methods may answer a
    SplicedPage, their response's bytes (the interceptors keep each handler's serializer: they all still apply)."""
    captured = _Captured()
    add(servicer, captured)
    methods = {
        name: grpc.unary_unary_rpc_method_handler(
            h.unary_unary,
            request_deserializer=h.request_deserializer,
            response_serializer=_spliced_or(h.response_serializer),
        )
        if name in bytes_methods
        else h
        for name, h in captured.methods.items()
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(captured.service, methods),))
    server.add_registered_method_handlers(captured.service, methods)


# FeedService's pages answer their spliced bytes (feed/read/wire.py), on the sync and the stream server alike.
SPLICED_PAGES = frozenset({"GetHomeTimeline", "GetUserTimeline", "GetGroupTimeline"})


def add_feed_servicer(servicer: Any, server: Any) -> None:
    """FeedService on server, its pages answered as spliced bytes."""
    add_servicer(feed_service_pb2_grpc.add_FeedServiceServicer_to_server, servicer, server, SPLICED_PAGES)


VISIBILITY_IN = {
    group_service_pb2.GROUP_VISIBILITY_UNSPECIFIED: OPEN,
    group_service_pb2.GROUP_VISIBILITY_OPEN: OPEN,
    group_service_pb2.GROUP_VISIBILITY_PRIVATE: PRIVATE,
}
VISIBILITY_OUT = {OPEN: group_service_pb2.GROUP_VISIBILITY_OPEN, PRIVATE: group_service_pb2.GROUP_VISIBILITY_PRIVATE}
KIND_OUT = {REGULAR: group_service_pb2.GROUP_KIND_REGULAR, ANNOUNCEMENTS: group_service_pb2.GROUP_KIND_ANNOUNCEMENTS}


def visibility_from_proto(value: int) -> str:
    """OPEN or PRIVATE (unspecified means open); "" for a value this API does not define,
    which the use case refuses in its turn among the request's other checks."""
    return VISIBILITY_IN.get(value, "")


def group_to_proto(group: Group) -> group_service_pb2.Group:
    msg = group_service_pb2.Group(
        group_id=group.group_id,
        org_id=group.org_id,
        name=group.name,
        visibility=VISIBILITY_OUT[group.visibility],
        kind=KIND_OUT[group.kind],
        creator_id=group.creator_id,
    )
    msg.create_time.FromMilliseconds(group.create_time_ms)
    return msg
