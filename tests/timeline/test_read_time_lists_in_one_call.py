"""On a standalone Redis, a page's read-time lists are read by one function call (tl_pages), riding in the home
page's round trip or on their own: one reply for the read service to read, not one per list, with each list's
page exactly as its own tl_page or tl_newer gives it. Real redis-server."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.ids import IdGenerator
from feed.redis.connection import RedisFunctions
from feed.redis.keys import COMPLETE_MARK, source_posts_key
from feed.timeline.page import GOES_ON_ARG, parse_page
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=4)
SOURCES = [*(Source(author_id=a) for a in range(31, 36)), Source(group_id=41), Source(group_id=42)]


def fcalls(redis_client) -> int:
    """FCALLs the server ran so far."""
    return int(redis_client.info("commandstats").get("cmdstat_fcall", {}).get("calls", 0))


@pytest.fixture
def filled(functions: RedisFunctions) -> tuple[RedisReadTimeSources, dict[Source, list[int]]]:
    read_time = RedisReadTimeSources(functions, 8)
    listed = {s: [ids.next_id() for _ in range(n + 2)] for n, s in enumerate(SOURCES)}  # 2 to 8 posts each
    read_time.push([(s, p) for s, posts in listed.items() for p in posts])
    return read_time, {s: sorted(posts, reverse=True) for s, posts in listed.items()}


def one_by_one(functions: RedisFunctions, name: str, cursor: str, count: int) -> list:
    """Each list's page through its own call, as the lists were read before tl_pages."""
    calls = [(name, [source_posts_key(s)], [cursor, count, 8, 0, GOES_ON_ARG]) for s in SOURCES]
    return [parse_page(reply) for reply in functions.call_many(calls)]


def test_seven_lists_are_read_by_one_call_with_each_page_as_its_own_call_gives_it(filled, functions, redis_client):
    read_time, listed = filled
    before = fcalls(redis_client)
    pages = read_time.pages(SOURCES, None, 3)
    assert fcalls(redis_client) - before == 1
    assert [p.ids for p in pages] == [listed[s][:3] for s in SOURCES]
    assert pages == one_by_one(functions, "tl_page", "", 3)


@pytest.mark.parametrize("count", [1, 4, 9])
def test_older_and_newer_windows_match_the_lists_own_calls(filled, functions, count):
    read_time, listed = filled
    middle = sorted(p for posts in listed.values() for p in posts)[20]
    assert read_time.pages(SOURCES, middle, count) == one_by_one(functions, "tl_page", str(middle), count)
    assert read_time.pages(SOURCES, None, count, after_id=middle) == one_by_one(
        functions, "tl_newer", str(middle), count
    )


def test_a_list_going_on_in_the_store_and_a_missing_one_answer_as_their_own_calls(filled, functions, redis_client):
    read_time, listed = filled
    assert redis_client.rpop(source_posts_key(SOURCES[0])) == COMPLETE_MARK  # no longer whole: goes on in the store
    redis_client.delete(source_posts_key(SOURCES[1]))
    pages = read_time.pages(SOURCES, None, 9)
    assert pages == one_by_one(functions, "tl_page", "", 9)
    assert (pages[0].goes_on, pages[1].state, pages[2].goes_on) == (True, "missing", False)


def test_prefetched_lists_ride_in_the_home_pages_round_trip_as_one_call(filled, functions, redis_client):
    read_time, listed = filled
    prefetch = read_time.prefetch(SOURCES, None, 3)
    assert len(prefetch.riders) == 1
    before = fcalls(redis_client)
    RedisTimelineStore(functions, 8).page_with_sources(read_time, 1, None, 3, riders=prefetch.riders)
    assert fcalls(redis_client) - before == 3  # the home page, the directory, the lists
    assert [p.ids for p in prefetch.pages(SOURCES)] == [listed[s][:3] for s in SOURCES]
    fewer = [SOURCES[6], SOURCES[2]]  # an unfollow or a leave since: a subset, in the guard's order
    assert [p.ids for p in prefetch.pages(fewer)] == [listed[s][:3] for s in fewer]
    assert prefetch.pages([*SOURCES, Source(author_id=99)]) is None  # a follow since: read them alone


def test_a_list_answering_an_error_fails_the_lists_read_not_the_home_page(filled, functions, redis_client):
    read_time, _ = filled
    redis_client.set(source_posts_key(SOURCES[3]), "not a list")  # WRONGTYPE from now on
    prefetch = read_time.prefetch(SOURCES, None, 3)
    page, _ = RedisTimelineStore(functions, 8).page_with_sources(read_time, 1, None, 3, riders=prefetch.riders)
    assert page.state == "missing"  # the home page is answered (user 1 has no timeline)
    assert prefetch.pages(SOURCES) is None
    with pytest.raises(Exception, match="WRONGTYPE"):
        read_time.pages(SOURCES, None, 3)  # the caller fails open (feed/read/sources.py)
