from __future__ import annotations

import pytest

from feed.events import (
    Envelope,
    Followed,
    InvalidEvent,
    PostCreated,
    PostDeleted,
    Reposted,
    Unfollowed,
    Unreposted,
    decode,
    encode,
    partition_key,
)
from feed.v1 import events_pb2


@pytest.mark.parametrize(
    "event",
    [
        PostCreated(2**62, 7),
        PostDeleted(9, 7),
        Followed(1, 2),
        Unfollowed(3, 4),
        Reposted(11, 7, 9, 3),
        Unreposted(11, 7, 9),
    ],
)
def test_every_event_round_trips(event):
    envelope = Envelope("e-1", 1_800_000_000_123, event)
    assert decode(encode(envelope)) == envelope


def test_post_events_are_keyed_by_author_and_graph_events_by_follower():
    assert partition_key(PostCreated(9, 7)) == (7).to_bytes(8, "big")
    assert partition_key(Reposted(11, 8, 9)) == partition_key(Unreposted(11, 8, 9)) == (8).to_bytes(8, "big")
    assert partition_key(Followed(5, 6)) == (5).to_bytes(8, "big")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xff\xff", "undecodable"),
        (events_pb2.Event(event_id="x").SerializeToString(), "no payload"),
        (events_pb2.Event(post_created=events_pb2.PostCreated(post_id=0, author_id=1)).SerializeToString(), "zero"),
        (events_pb2.Event(reposted=events_pb2.Reposted(repost_id=1, reposter_id=2)).SerializeToString(), "zero"),
    ],
)
def test_invalid_records_are_refused_with_a_reason(data, reason):
    with pytest.raises(InvalidEvent, match=reason):
        decode(data)


def wire(kind: str, event_id: str = "e-1", **ids: int) -> bytes:
    """A record value built field by field, so ids the domain types would never hold can be sent."""
    message = events_pb2.Event(event_id=event_id)
    getattr(message, kind).SetInParent()
    for name, value in ids.items():
        setattr(getattr(message, kind), name, value)
    return message.SerializeToString()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (wire("post_created", post_id=2**63, author_id=7), "out of range \\(post_id"),
        (wire("post_created", post_id=2**64 - 1, author_id=7), "out of range \\(post_id"),
        (wire("post_deleted", post_id=9, author_id=2**63), "out of range \\(author_id"),
        (wire("post_created", post_id=9, author_id=7, group_id=2**63), "out of range \\(group_id"),
        (wire("followed", follower_id=1, followee_id=2, org_id=2**63), "out of range \\(org_id"),
        (wire("group_joined", group_id=2**63, user_id=2), "out of range \\(group_id"),
        (wire("group_left", group_id=5, user_id=2**63), "out of range \\(user_id"),
        (wire("unfollowed", follower_id=3), "zero id \\(followee_id"),
        (wire("group_joined", user_id=2), "zero id \\(group_id"),
        (wire("followed", event_id="", follower_id=1, followee_id=2), "no event_id"),
    ],
)
def test_ids_the_stores_cannot_hold_and_missing_fields_are_refused_at_decode(data, reason):
    with pytest.raises(InvalidEvent, match=reason):
        decode(data)


def test_the_largest_ids_the_stores_hold_are_accepted():
    biggest = 2**63 - 1
    data = wire("post_created", post_id=biggest, author_id=biggest, org_id=biggest, group_id=biggest)
    assert decode(data).event == PostCreated(biggest, biggest, biggest, biggest)
