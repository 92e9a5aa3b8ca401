"""The applied notification: what a batch changed, in bounded messages that decode to the same."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.events import Followed, GroupLeft, PostCreated, PostDeleted, new_envelope
from feed.fanout.notify import (
    Applied,
    GraphNote,
    PostNote,
    decode_applied,
    encode_applied,
    notes_of,
    publish_applied,
)
from feed.redis.keys import APPLIED_CHANNEL

BIG = 2**62 + 7  # ids past 2^53 survive the trip exactly


def test_a_batch_notes_posts_deletions_and_graph_changes():
    events = [
        PostCreated(BIG, 2, org_id=3, group_id=4),
        PostDeleted(5, 2, org_id=3),
        Followed(6, 7, org_id=3),
        GroupLeft(8, 9, org_id=3),
    ]
    applied = notes_of(new_envelope(e, 0) for e in events)
    assert applied == Applied(
        posts=(PostNote(3, 2, 4, BIG),),
        deletions=(PostNote(3, 2, 0, 5),),
        graph=(GraphNote(True, 3, 6, Source(author_id=7)), GraphNote(False, 3, 9, Source(group_id=8))),
    )


def test_a_huge_batch_is_split_into_messages_of_bounded_size_that_decode_to_all_of_it():
    applied = Applied(posts=tuple(PostNote(0, a, 0, BIG - a) for a in range(1, 1201)))
    messages = list(encode_applied(applied, max_items=500))
    assert len(messages) == 3
    assert sum((decode_applied(m).posts for m in messages), ()) == applied.posts


def test_an_empty_batch_publishes_nothing_and_garbage_does_not_decode():
    assert list(encode_applied(Applied())) == []
    with pytest.raises(ValueError):
        decode_applied(b"not json")


def test_a_failing_publish_is_swallowed_so_the_batch_goes_on():
    sent = []

    def refusing(channel: str, message: bytes) -> None:
        sent.append(channel)
        raise ConnectionError("redis away")

    assert publish_applied(refusing, [new_envelope(PostCreated(1, 2), 0)]) == 0
    assert sent == [APPLIED_CHANNEL]
