"""The typed Python client of the feed API (docs/client.md).

from feed.client import FeedClient, dev_tokens

with FeedClient(token_source=dev_tokens()) as client:
    client.follow(2, 1)
    client.create_post(1, "hello")
    for post in client.home_timeline(2, limit=20):
        print(post.text)
"""

from __future__ import annotations

from feed.access.tokens import Unauthenticated
from feed.client.client import FeedClient
from feed.client.errors import AlreadyExists, Cancelled, DeadlineExceeded, Internal, Unimplemented, Unknown
from feed.client.retry import RetryPolicy
from feed.client.tokens import DevTokens, TokenSource, dev_tokens, fixed_token
from feed.client.types import (
    Filter,
    Gap,
    Group,
    GroupKind,
    Mute,
    Page,
    Post,
    PostArrived,
    PostDeleted,
    ReadMarker,
    Visibility,
    WatchEvent,
)
from feed.client.watch import Watch
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

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DeadlineExceeded",
    "DevTokens",
    "FailedPrecondition",
    "FeedClient",
    "FeedError",
    "Filter",
    "Gap",
    "Group",
    "GroupKind",
    "Internal",
    "InvalidArgument",
    "Mute",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Post",
    "PostArrived",
    "PostDeleted",
    "ReadMarker",
    "ResourceExhausted",
    "RetryPolicy",
    "TokenSource",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "Visibility",
    "Watch",
    "WatchEvent",
    "dev_tokens",
    "fixed_token",
]
