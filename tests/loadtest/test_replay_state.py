"""Which reader a replay probes for a new post's visibility: one whose home timeline will show it."""

from __future__ import annotations

from feed.loadtest.state import ReplayState


def _state(author: int, *followers: int) -> ReplayState:
    state = ReplayState()
    for follower in followers:
        state.followed(follower, author)
        state.read_home(follower)
    return state


def test_a_follower_who_muted_the_author_is_not_probed_until_they_unmute():
    state = _state(1, 2, 3)
    state.hides(3, 1)  # 3, the newest follower, muted 1: their timeline never shows 1's posts
    assert state.reader_for(1) == 2
    state.hides(2, 1)
    assert state.reader_for(1) is None  # the author never read their own timeline either
    state.shows(3, 1)
    assert state.reader_for(1) == 3


def test_a_block_either_way_takes_the_follower_out_of_the_probe():
    state = _state(1, 2)
    state.hides(1, 2)
    state.hides(2, 1)
    assert state.reader_for(1) is None
