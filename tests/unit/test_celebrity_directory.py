"""The read path's copy of the celebrity set: asked for by size, replaced only by newer answers."""

from __future__ import annotations

from feed.timeline.sources import DIRECTORY_MAX_AGE_S, CelebrityDirectory


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_call_asks_for_the_members_and_later_calls_send_the_known_size():
    directory = CelebrityDirectory(FakeClock())
    assert directory.call()[2] == [-1]
    assert directory.absorb([2, b"7", b"9"]) == {7, 9}
    assert directory.call()[2] == [2]


def test_an_answer_with_the_size_alone_keeps_the_members():
    directory = CelebrityDirectory(FakeClock())
    directory.absorb([2, b"7", b"9"])
    assert directory.absorb([2]) == {7, 9}


def test_a_late_answer_of_a_smaller_set_does_not_replace_a_newer_copy():
    directory = CelebrityDirectory(FakeClock())
    directory.absorb([3, b"1", b"2", b"3"])
    assert directory.absorb([2, b"1", b"2"]) == {1, 2, 3}  # the set only grows: this answer is older


def test_an_old_copy_is_refetched_and_may_shrink_after_redis_lost_the_set():
    clock = FakeClock()
    directory = CelebrityDirectory(clock)
    directory.absorb([3, b"1", b"2", b"3"])
    clock.now += DIRECTORY_MAX_AGE_S + 1
    assert directory.call()[2] == [-1]
    assert directory.absorb([1, b"5"]) == {5}


def test_an_empty_set_is_known_without_members():
    directory = CelebrityDirectory(FakeClock())
    assert directory.absorb([0]) == frozenset()
    assert directory.call()[2] == [0]
