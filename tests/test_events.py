from __future__ import annotations

import pytest

from feed.events import (
    Envelope,
    Followed,
    InvalidEvent,
    PostCreated,
    PostDeleted,
    Unfollowed,
    decode,
    encode,
    partition_key,
)
from feed.v1 import events_pb2


@pytest.mark.parametrize("event", [PostCreated(2**62, 7), PostDeleted(9, 7), Followed(1, 2), Unfollowed(3, 4)])
def test_every_event_round_trips(event):
    envelope = Envelope("e-1", 1_800_000_000_123, event)
    assert decode(encode(envelope)) == envelope


def test_post_events_are_keyed_by_author_and_graph_events_by_follower():
    assert partition_key(PostCreated(9, 7)) == (7).to_bytes(8, "big")
    assert partition_key(Followed(5, 6)) == (5).to_bytes(8, "big")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xff\xff", "undecodable"),
        (events_pb2.Event(event_id="x").SerializeToString(), "no payload"),
        (events_pb2.Event(post_created=events_pb2.PostCreated(post_id=0, author_id=1)).SerializeToString(), "zero"),
    ],
)
def test_invalid_records_are_refused_with_a_reason(data, reason):
    with pytest.raises(InvalidEvent, match=reason):
        decode(data)
