"""A typed error per gRPC status, carrying the server's message: callers catch what they mean.

Where the core has a class for the status (feed.errors, feed.access.tokens.Unauthenticated) the
client raises that very class, so `except NotFound` reads the same on both sides of the wire.
"""

from __future__ import annotations

import grpc

from feed.access.tokens import Unauthenticated
from feed.errors import (
    Aborted,
    FailedPrecondition,
    FeedError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)

RETRY_AFTER_KEY = "retry-after-ms"  # trailing metadata of RESOURCE_EXHAUSTED: when a retry can succeed


class DeadlineExceeded(FeedError):
    """The call's deadline passed before an answer came; a write may or may not have happened."""


class Cancelled(FeedError):
    """The call was cancelled (by the client, or shed by a server taking too many new streams)."""


class AlreadyExists(FeedError):
    pass


class Unimplemented(FeedError):
    """The address serves no such method (WatchHomeTimeline is served on FEED_STREAM_ADDR only)."""


class Internal(FeedError):
    """The server failed in a way it did not expect; its logs say more."""


class Unknown(FeedError):
    """Any other status."""


ERROR_OF: dict[grpc.StatusCode, type[FeedError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
}


def error_of(err: grpc.RpcError) -> FeedError:
    """The typed error for a failed call: its class by status, the server's message, and `.code`."""
    code = err.code()
    message = err.details() or code.name
    cls = ERROR_OF.get(code, Unknown)
    if cls is ResourceExhausted:
        error: FeedError = ResourceExhausted(message, _retry_after_ms(err))
    else:
        error = cls(message)
    error.code = code  # type: ignore[attr-defined]  # the status, for callers that log or count it
    return error


def _retry_after_ms(err: grpc.RpcError) -> int:
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == RETRY_AFTER_KEY and str(value).isdigit():
            return int(value)
    return 0
