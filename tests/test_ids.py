from __future__ import annotations

import pytest

from feed.errors import InvalidArgument
from feed.ids import FUTURE_SKEW_MS, MAX_ID, IdGenerator, id_time_ms, is_future_id, require_id
from tests.clock import FakeClock


def test_ids_increase_even_within_one_millisecond():
    gen = IdGenerator(node=3, clock=FakeClock(1_800_000_000.0))
    ids = [gen.next_id() for _ in range(10_000)]  # more than 4096: spills into later ms
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_ids_do_not_go_back_when_the_clock_does():
    clock = FakeClock(1_800_000_000.5)
    gen = IdGenerator(node=1, clock=clock)
    a = gen.next_id()
    clock.advance(-0.5)  # the wall clock is set back
    b, c = gen.next_id(), gen.next_id()
    assert a < b < c


def test_id_carries_its_time():
    gen = IdGenerator(node=5, clock=FakeClock(1_800_000_000.123))
    post_id = gen.next_id()
    assert id_time_ms(post_id) == 1_800_000_000_123


def test_an_id_is_from_the_future_only_past_the_tolerated_clock_skew():
    now = 1_800_000_000_000
    made_at = lambda ms: IdGenerator(node=5, clock=FakeClock(ms / 1000)).next_id()  # noqa: E731
    assert not is_future_id(made_at(now), now)
    assert not is_future_id(made_at(now + FUTURE_SKEW_MS), now)  # a writer whose clock runs ahead
    assert is_future_id(made_at(now + FUTURE_SKEW_MS + 1), now)
    assert is_future_id(MAX_ID, now)


def test_ids_stay_below_2_to_the_63_and_above_2_to_the_53():
    post_id = IdGenerator(node=0).next_id()
    assert 2**53 < post_id <= MAX_ID


@pytest.mark.parametrize("bad", [0, -1, 2**63, 2**64 - 1])
def test_require_id_rejects_out_of_range(bad):
    with pytest.raises(InvalidArgument, match="user_id must be between 1"):
        require_id(bad, "user_id")


def test_node_out_of_range_is_refused():
    with pytest.raises(ValueError):
        IdGenerator(node=1024)
