"""The plain values the client takes and returns, and their one conversion from the protobuf messages.

Ids are ints; times are timezone-aware UTC datetimes, None where the server leaves a time unset
(a mute or filter that lasts until removed, a read marker never set).
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from feed.v1 import feed_service_pb2, filter_service_pb2, graph_service_pb2, group_service_pb2, post_pb2


class Visibility(enum.Enum):
    """Who may see and join a group."""

    OPEN = group_service_pb2.GROUP_VISIBILITY_OPEN
    PRIVATE = group_service_pb2.GROUP_VISIBILITY_PRIVATE


class GroupKind(enum.Enum):
    REGULAR = group_service_pb2.GROUP_KIND_REGULAR
    ANNOUNCEMENTS = group_service_pb2.GROUP_KIND_ANNOUNCEMENTS


@dataclasses.dataclass(frozen=True, slots=True)
class Post:
    post_id: int
    author_id: int
    text: str
    created_at: datetime
    group_id: int = 0  # 0: a post to the author's followers
    org_id: int = 0
    reposted_by_user_id: int = 0  # set on a timeline entry that is a repost: who reposted it
    repost_count: int = 0  # how many users repost this post now


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One page of a timeline, newest first, with the tokens to page from it."""

    posts: tuple[Post, ...]
    next_page_token: str  # older posts; empty on the last page
    prev_page_token: str = ""  # newer posts (home timeline only): always set there


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    group_id: int
    org_id: int
    name: str
    visibility: Visibility
    kind: GroupKind
    creator_id: int
    created_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class Mute:
    user_id: int
    expires_at: datetime | None  # None: until unmuted


@dataclasses.dataclass(frozen=True, slots=True)
class Filter:
    filter_id: int
    phrase: str
    whole_word: bool
    expires_at: datetime | None  # None: until deleted


@dataclasses.dataclass(frozen=True, slots=True)
class ReadMarker:
    post_id: int  # 0: never set
    version: int  # pass back to set_read_marker: a compare-and-set
    updated_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class PostArrived:
    """watch(): a post newer than everything the stream sent before."""

    post: Post
    resume_token: str


@dataclasses.dataclass(frozen=True, slots=True)
class PostDeleted:
    """watch(): a post the user may have on screen was deleted (or may no longer be shown)."""

    post_id: int
    resume_token: str


@dataclasses.dataclass(frozen=True, slots=True)
class Gap:
    """watch(): the server skipped posts; client.newer(user_id, page_token) holds them, each once."""

    page_token: str
    resume_token: str


WatchEvent = PostArrived | PostDeleted | Gap


def _time(ts: Timestamp) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def _optional_time(message, field: str) -> datetime | None:
    return _time(getattr(message, field)) if message.HasField(field) else None


def post_of(msg: post_pb2.Post) -> Post:
    return Post(
        msg.post_id,
        msg.author_id,
        msg.text,
        _time(msg.create_time),
        msg.group_id,
        msg.org_id,
        msg.reposted_by_user_id,
        msg.repost_count,
    )


def page_of(msg) -> Page:
    """A Page from any of the three timeline responses (only the home one has a prev_page_token)."""
    return Page(tuple(post_of(p) for p in msg.posts), msg.next_page_token, getattr(msg, "prev_page_token", ""))


def group_of(msg: group_service_pb2.Group) -> Group:
    kind = GroupKind(msg.kind) if msg.kind else GroupKind.REGULAR
    visibility = Visibility(msg.visibility) if msg.visibility else Visibility.OPEN  # unspecified means open
    return Group(
        msg.group_id, msg.org_id, msg.name, visibility, kind, msg.creator_id, _optional_time(msg, "create_time")
    )


def mute_of(msg: graph_service_pb2.Mute) -> Mute:
    return Mute(msg.user_id, _optional_time(msg, "expire_time"))


def filter_of(msg: filter_service_pb2.Filter) -> Filter:
    return Filter(msg.filter_id, msg.phrase, msg.whole_word, _optional_time(msg, "expire_time"))


def marker_of(msg: feed_service_pb2.ReadMarker) -> ReadMarker:
    return ReadMarker(msg.post_id, msg.version, _optional_time(msg, "update_time"))


def event_of(msg: feed_service_pb2.HomeTimelineEvent) -> WatchEvent | None:
    """The typed event, or None for a kind this client does not know (a newer server's): skip it."""
    kind = msg.WhichOneof("event")
    if kind == "post":
        return PostArrived(post_of(msg.post), msg.resume_token)
    if kind == "deleted_post_id":
        return PostDeleted(msg.deleted_post_id, msg.resume_token)
    if kind == "gap":
        return Gap(msg.gap.page_token, msg.resume_token)
    return None
