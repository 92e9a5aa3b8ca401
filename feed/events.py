"""Domain events and their wire codec (feed.v1.Event protobuf on the events topic).

Workers plan on these plain dataclasses; only this module knows the protobuf
types, so the hot path decodes each record exactly once.
"""

from __future__ import annotations

import dataclasses
import uuid

from feed.v1 import events_pb2


@dataclasses.dataclass(frozen=True, slots=True)
class PostCreated:
    post_id: int
    author_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class PostDeleted:
    post_id: int
    author_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Followed:
    follower_id: int
    followee_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Unfollowed:
    follower_id: int
    followee_id: int


DomainEvent = PostCreated | PostDeleted | Followed | Unfollowed


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    """An event with its id and the time it happened (ms since the Unix epoch)."""

    event_id: str
    event_time_ms: int
    event: DomainEvent

    @property
    def kind(self) -> str:
        """The event type's name, stable for metric labels."""
        return type(self.event).__name__


class InvalidEvent(ValueError):
    """A record that is not a valid event (undecodable, empty, or with zero ids)."""


def partition_key(event: DomainEvent) -> bytes:
    """The Kafka record key: the author (post events) or follower (graph events), 8 bytes big-endian."""
    user = event.author_id if isinstance(event, PostCreated | PostDeleted) else event.follower_id
    return user.to_bytes(8, "big")


def new_envelope(event: DomainEvent, now_ms: int, event_id: str | None = None) -> Envelope:
    return Envelope(event_id or uuid.uuid4().hex, now_ms, event)


def encode(envelope: Envelope) -> bytes:
    """Serialize an envelope to the feed.v1.Event wire format."""
    msg = events_pb2.Event(event_id=envelope.event_id)
    msg.event_time.FromMilliseconds(envelope.event_time_ms)
    event = envelope.event
    if isinstance(event, PostCreated):
        msg.post_created.post_id, msg.post_created.author_id = event.post_id, event.author_id
    elif isinstance(event, PostDeleted):
        msg.post_deleted.post_id, msg.post_deleted.author_id = event.post_id, event.author_id
    elif isinstance(event, Followed):
        msg.followed.follower_id, msg.followed.followee_id = event.follower_id, event.followee_id
    else:
        msg.unfollowed.follower_id, msg.unfollowed.followee_id = event.follower_id, event.followee_id
    return msg.SerializeToString()


def decode(data: bytes) -> Envelope:
    """Parse and validate one record value; raise InvalidEvent with the reason."""
    msg = events_pb2.Event()
    try:
        msg.ParseFromString(data)
    except Exception as exc:  # the protobuf runtime raises DecodeError or others
        raise InvalidEvent(f"undecodable event: {exc}") from None
    kind = msg.WhichOneof("payload")
    if kind is None:
        raise InvalidEvent("event has no payload")
    body = getattr(msg, kind)
    event = _BUILDERS[kind](body)
    if any(getattr(event, f.name) == 0 for f in dataclasses.fields(event)):
        raise InvalidEvent(f"{kind} has a zero id")
    return Envelope(msg.event_id, msg.event_time.ToMilliseconds(), event)


_BUILDERS = {
    "post_created": lambda b: PostCreated(b.post_id, b.author_id),
    "post_deleted": lambda b: PostDeleted(b.post_id, b.author_id),
    "followed": lambda b: Followed(b.follower_id, b.followee_id),
    "unfollowed": lambda b: Unfollowed(b.follower_id, b.followee_id),
}
