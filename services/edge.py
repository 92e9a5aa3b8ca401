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
from feed.domain import ANNOUNCEMENTS, OPEN, PRIVATE, REGULAR, Group, Post
from feed.v1 import group_service_pb2, post_pb2

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


def post_to_proto(post: Post) -> post_pb2.Post:
    msg = post_pb2.Post(
        post_id=post.repost_of or post.post_id,  # a repost entry shows its original (docs/reposts.md)
        author_id=post.author_id,
        text=post.text,
        group_id=post.group_id,
        org_id=post.org_id,
    )
    if post.reposted_by or post.repost_count:  # set only when there is something: most posts have neither
        msg.reposted_by_user_id, msg.repost_count = post.reposted_by, post.repost_count
    seconds, millis = divmod(post.create_time_ms, 1000)
    created = msg.create_time  # set directly, not FromMilliseconds(): this runs for every post of every page
    created.seconds, created.nanos = seconds, millis * 1_000_000
    return msg


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
