"""Domain events and their wire codec (feed.v1.Event protobuf on the events topic).

Workers plan on these plain dataclasses; only this module knows the protobuf
types, so the hot path decodes each record exactly once.
"""

from __future__ import annotations

import dataclasses
import uuid

from feed.domain import Source
from feed.v1 import events_pb2


@dataclasses.dataclass(frozen=True, slots=True)
class PostCreated:
    post_id: int
    author_id: int
    org_id: int = 0
    group_id: int = 0  # a group post: its audience is the group's members, not the author's followers

    @property
    def source(self) -> Source:
        """Whose audience the post goes to: the author's followers, or the group's members."""
        return Source.of_post(self.author_id, self.group_id)


@dataclasses.dataclass(frozen=True, slots=True)
class PostDeleted:
    post_id: int
    author_id: int
    org_id: int = 0
    group_id: int = 0

    source = PostCreated.source  # the audience the post went to, which its removal must reach


@dataclasses.dataclass(frozen=True, slots=True)
class Followed:
    follower_id: int
    followee_id: int
    org_id: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Unfollowed:
    follower_id: int
    followee_id: int
    org_id: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class GroupJoined:
    group_id: int
    user_id: int
    org_id: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class GroupLeft:
    group_id: int
    user_id: int
    org_id: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Reposted:
    """reposter_id reposted post_id; repost_id is the entry its followers' timelines get."""

    repost_id: int
    reposter_id: int
    post_id: int
    org_id: int = 0

    def as_post(self) -> PostCreated:
        """The repost as fan-out sees it: a post of the reposter's with the repost's id."""
        return PostCreated(self.repost_id, self.reposter_id, self.org_id)


@dataclasses.dataclass(frozen=True, slots=True)
class Unreposted:
    """The repost repost_id was taken back."""

    repost_id: int
    reposter_id: int
    post_id: int
    org_id: int = 0

    def as_post(self) -> PostDeleted:
        """The unrepost as fan-out sees it: the delete of the reposter's entry."""
        return PostDeleted(self.repost_id, self.reposter_id, self.org_id)


DomainEvent = PostCreated | PostDeleted | Followed | Unfollowed | GroupJoined | GroupLeft | Reposted | Unreposted


def fanout_view(event: DomainEvent) -> DomainEvent:
    """The event as fan-out plans it: a repost is a post of the reposter's under the repost's id, an
    unrepost that entry's delete (docs/reposts.md); every other event as it is."""
    return event.as_post() if isinstance(event, Reposted | Unreposted) else event


# Ids that may be 0 (the default organization; a post outside any group); every other id must not.
OPTIONAL_FIELDS = frozenset({"org_id", "group_id"})
# Ids are uint64 on the wire but signed 64-bit in SQLite, Cassandra and Redis scores: anything above
# never applies, so it is refused at decode (and dead-lettered) instead of failing the batch.
MAX_ID = 2**63 - 1


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
    """A record that is not a valid event (undecodable, empty, without an id, or with ids out of range)."""


def partition_key(event: DomainEvent) -> bytes:
    """The Kafka record key: the author (post events), reposter (repost events), follower (graph events)
    or member (group events), 8 bytes big-endian."""
    if isinstance(event, PostCreated | PostDeleted):
        user = event.author_id
    elif isinstance(event, GroupJoined | GroupLeft):
        user = event.user_id
    elif isinstance(event, Reposted | Unreposted):
        user = event.reposter_id
    else:
        user = event.follower_id
    return user.to_bytes(8, "big")


def new_envelope(event: DomainEvent, now_ms: int, event_id: str | None = None) -> Envelope:
    return Envelope(event_id or uuid.uuid4().hex, now_ms, event)


def encode(envelope: Envelope) -> bytes:
    """Serialize an envelope to the feed.v1.Event wire format."""
    msg = events_pb2.Event(event_id=envelope.event_id)
    msg.event_time.FromMilliseconds(envelope.event_time_ms)
    event = envelope.event
    body = getattr(msg, _FIELD_OF[type(event)])
    for field in dataclasses.fields(event):
        setattr(body, field.name, getattr(event, field.name))
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
    if kind not in _CLASS_OF:
        raise InvalidEvent(f"unknown event kind {kind}")
    body = getattr(msg, kind)
    cls = _CLASS_OF[kind]
    event = cls(*(getattr(body, f.name) for f in dataclasses.fields(cls)))
    optional = OPTIONAL_FIELDS if cls in (PostCreated, PostDeleted) else {"org_id"}  # a join names its group
    for field in dataclasses.fields(event):
        check_id(kind, field.name, getattr(event, field.name), field.name in optional)
    if not msg.event_id:
        raise InvalidEvent(f"{kind} has no event_id")
    return Envelope(msg.event_id, msg.event_time.ToMilliseconds(), event)


def check_id(kind: str, name: str, value: int, optional: bool) -> None:
    """Raise InvalidEvent unless value is an id the stores can hold: 1..MAX_ID (0 too where optional)."""
    low = 0 if optional else 1
    if value == 0 and low:
        raise InvalidEvent(f"{kind} has a zero id ({name})")
    if not low <= value <= MAX_ID:
        raise InvalidEvent(f"{kind} has an id out of range ({name}={value})")


_FIELD_OF: dict[type, str] = {
    PostCreated: "post_created",
    PostDeleted: "post_deleted",
    Followed: "followed",
    Unfollowed: "unfollowed",
    GroupJoined: "group_joined",
    GroupLeft: "group_left",
    Reposted: "reposted",
    Unreposted: "unreposted",
}
_CLASS_OF = {field: cls for cls, field in _FIELD_OF.items()}
