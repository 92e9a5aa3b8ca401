"""Domain errors. The gRPC edge maps each one to a status code in one place."""

from __future__ import annotations


class FeedError(Exception):
    """Base class: a failure with a message that is safe to show the caller."""


class InvalidArgument(FeedError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""


class NotFound(FeedError):
    """The thing named does not exist (or the caller may not know it exists)."""


class PermissionDenied(FeedError):
    """The caller may not do this to this thing."""


class FailedPrecondition(FeedError):
    """The system is not in a state that allows this, for example a block."""


class Aborted(FeedError):
    """A concurrent change won (a stale version): re-read what is current, then retry from it."""


class Unavailable(FeedError):
    """A dependency (broker, Redis, store) did not answer; retrying may work."""


class ResourceExhausted(FeedError):
    """The caller is over a limit; retry_after_ms says when a retry can succeed."""

    def __init__(self, message: str, retry_after_ms: int = 0) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms
