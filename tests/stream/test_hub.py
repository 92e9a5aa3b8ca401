"""Which streams a notification wakes: by author, group and the graph changes it carries."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.errors import ResourceExhausted
from feed.events import Unreposted, new_envelope
from feed.fanout.notify import Applied, GraphNote, PostNote, UnrepostNote, decode_applied, encode_applied, notes_of
from feed.stream.hub import StreamHub
from feed.stream.state import StreamState, Unrepost


def stream(user: int) -> StreamState:
    return StreamState(user, 0, "t", 1e12, 0.0)


def post(author: int, group: int = 0, post_id: int = 99) -> PostNote:
    return PostNote(0, author, group, post_id)


def test_a_post_wakes_the_streams_watching_its_author_or_group_and_no_others():
    hub = StreamHub()
    fan, member, other = stream(1), stream(2), stream(3)
    hub.open(fan, [Source(author_id=10)])
    hub.open(member, [Source(group_id=20)])
    hub.open(other, [Source(author_id=11)])
    hub.on_applied(Applied(posts=(post(10, group=20),)))
    assert (fan.wake, member.wake, other.wake) == (True, True, False)


def test_a_users_own_post_wakes_their_streams():
    hub = StreamHub()
    mine = stream(1)
    hub.open(mine, [])
    hub.on_applied(Applied(posts=(post(1),)))
    assert mine.wake


def test_follows_and_unfollows_in_notifications_change_what_a_stream_watches():
    hub = StreamHub()
    watcher = stream(1)
    hub.open(watcher, [Source(author_id=10)])
    hub.on_applied(
        Applied(graph=(GraphNote(True, 0, 1, Source(author_id=11)), GraphNote(False, 0, 1, Source(author_id=10))))
    )
    watcher.wake = False
    hub.on_applied(Applied(posts=(post(10),)))
    assert not watcher.wake
    hub.on_applied(Applied(posts=(post(11),), deletions=(post(11, post_id=5),)))
    assert watcher.wake and watcher.deletions == [5]


def test_a_closed_stream_is_forgotten_and_the_process_bound_refuses_one_more():
    hub = StreamHub(max_streams=1)
    first = stream(1)
    hub.open(first, [Source(author_id=10)])
    with pytest.raises(ResourceExhausted):
        hub.open(stream(2), [])
    hub.close(first)
    assert len(hub) == 0 and len(hub.index) == 0
    first.wake = False
    hub.on_applied(Applied(posts=(post(10),)))
    assert not first.wake
    hub.open(stream(2), [])


def test_an_unrepost_reaches_the_reposters_watchers_naming_the_original_through_the_channel():
    hub = StreamHub()
    follower, reposter, other = stream(1), stream(10), stream(3)
    hub.open(follower, [Source(author_id=10)])
    hub.open(reposter, [])
    hub.open(other, [Source(author_id=11)])
    applied = Applied(unreposts=(UnrepostNote(0, 10, 2**62 + 5, 2**62 + 1),))
    (message,) = encode_applied(applied)
    hub.on_applied(decode_applied(message))
    assert follower.deletions == reposter.deletions == [Unrepost(2**62 + 1, 10)]
    assert other.deletions == []


def test_a_workers_notification_carries_an_unrepost_as_such_not_as_the_deletion_of_its_entry():
    applied = notes_of([new_envelope(Unreposted(repost_id=50, reposter_id=10, post_id=40, org_id=3), 0)])
    assert applied == Applied(unreposts=(UnrepostNote(3, 10, 50, 40),))


def test_a_notification_without_unreposts_decodes_as_before():
    assert decode_applied(b'{"d":[[0,10,0,5]]}') == Applied(deletions=(post(10, post_id=5),))
