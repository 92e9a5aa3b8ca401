"""The read path's copy of the read-time source set: asked for by size, replaced only by newer answers."""

from __future__ import annotations

from feed.domain import Source
from feed.timeline.sources import DIRECTORY_MAX_AGE_S, SourceDirectory
from tests.clock import FakeClock


def test_the_first_call_asks_for_the_members_and_later_calls_send_the_known_size():
    directory = SourceDirectory(FakeClock())
    assert directory.call()[2] == [-1]
    assert directory.absorb([2, b"7", b"-9"]) == {Source(author_id=7), Source(group_id=9)}
    assert directory.call()[2] == [2]


def test_an_answer_with_the_size_alone_keeps_the_members():
    directory = SourceDirectory(FakeClock())
    directory.absorb([2, b"7", b"9"])
    assert directory.absorb([2]) == {Source(author_id=7), Source(author_id=9)}


def test_a_late_answer_of_a_smaller_set_does_not_replace_a_newer_copy():
    directory = SourceDirectory(FakeClock())
    directory.absorb([3, b"1", b"2", b"3"])
    older = directory.absorb([2, b"1", b"2"])  # the set only grows: this answer is older
    assert older == {Source(author_id=1), Source(author_id=2), Source(author_id=3)}


def test_an_old_copy_is_refetched_and_may_shrink_after_redis_lost_the_set():
    clock = FakeClock()
    directory = SourceDirectory(clock)
    directory.absorb([3, b"1", b"2", b"3"])
    clock.advance(DIRECTORY_MAX_AGE_S + 1)
    assert directory.call()[2] == [-1]
    assert directory.absorb([1, b"5"]) == {Source(author_id=5)}


def test_an_empty_set_is_known_without_members():
    directory = SourceDirectory(FakeClock())
    assert directory.absorb([0]) == frozenset()
    assert directory.call()[2] == [0]
