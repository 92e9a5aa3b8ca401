"""The read path's copy of the read-time source set: asked for by version, replaced only by newer answers.

Answers are tl_celebrities replies: {version} while the copy is current, else {version, size, members...}.
"""

from __future__ import annotations

from feed.domain import Source
from feed.timeline.directory import DIRECTORY_MAX_AGE_S, SourceDirectory
from tests.clock import FakeClock


def test_the_first_call_asks_for_the_members_and_later_calls_send_the_known_version():
    directory = SourceDirectory(FakeClock())
    assert directory.call()[2] == [-1]
    assert directory.absorb([5, 2, b"7", b"-9"]) == {Source(author_id=7), Source(group_id=9)}
    assert directory.call()[2] == [5]


def test_an_answer_with_the_version_alone_keeps_the_members():
    directory = SourceDirectory(FakeClock())
    directory.absorb([2, 2, b"7", b"9"])
    assert directory.absorb([2]) == {Source(author_id=7), Source(author_id=9)}


def test_a_newer_version_with_fewer_members_replaces_the_copy():
    directory = SourceDirectory(FakeClock())
    directory.absorb([3, 3, b"1", b"2", b"3"])
    assert directory.absorb([4, 1, b"3"]) == {Source(author_id=3)}  # 1 and 2 were retired
    assert directory.absorb([5, 0]) == frozenset()  # every source retired: the answer still carries "none"


def test_a_late_answer_of_an_older_version_does_not_replace_a_newer_copy():
    directory = SourceDirectory(FakeClock())
    directory.absorb([3, 1, b"3"])
    older = directory.absorb([2, 2, b"1", b"2"])
    assert older == {Source(author_id=3)}


def test_an_old_copy_is_refetched_and_replaced_after_redis_lost_the_set_and_its_version():
    clock = FakeClock()
    directory = SourceDirectory(clock)
    directory.absorb([3, 3, b"1", b"2", b"3"])
    clock.advance(DIRECTORY_MAX_AGE_S + 1)
    assert directory.call()[2] == [-1]
    assert directory.absorb([1, 1, b"5"]) == {Source(author_id=5)}


def test_an_empty_set_is_known_without_members():
    directory = SourceDirectory(FakeClock())
    assert directory.absorb([0, 0]) == frozenset()
    assert directory.call()[2] == [0]
