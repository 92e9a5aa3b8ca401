"""Read-time lists riding in a home page's round trip on a Redis Cluster: keys of many slots in one pipelined
round trip, and an optional list that fails (an error answer, or its node not answering) never fails the page."""

from __future__ import annotations

import pytest
import redis

from feed.access.versions import VersionProbe
from feed.domain import Source
from feed.ids import IdGenerator
from feed.redis.keys import source_posts_key
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

pytestmark = pytest.mark.integration
ids = IdGenerator(node=3)
SOURCES = [Source(author_id=21), Source(author_id=22), Source(group_id=23)]  # in different slots
LIST_KEYS = {source_posts_key(s) for s in SOURCES}


def filled(functions) -> tuple[RedisTimelineStore, RedisReadTimeSources, dict[Source, list[int]]]:
    timelines, read_time = RedisTimelineStore(functions, 800), RedisReadTimeSources(functions, 800)
    posts = {s: [ids.next_id() for _ in range(3)] for s in SOURCES}
    read_time.push([(s, p) for s, ps in posts.items() for p in ps])
    return timelines, read_time, posts


def test_read_time_lists_of_several_slots_ride_in_the_home_pages_round_trip(functions, redis_client):
    timelines, read_time, posts = filled(functions)
    assert len({redis_client.keyslot(source_posts_key(s)) for s in SOURCES}) == len(SOURCES)
    riders = read_time.page_riders(SOURCES, None, 10)
    probe = VersionProbe(1)
    timelines.page_with_sources(read_time, 1, None, 5, riders=[probe, *riders])
    assert [r.page.ids for r in riders] == [sorted(posts[s], reverse=True) for s in SOURCES]
    assert probe.value is not None


def test_a_list_answering_an_error_leaves_its_rider_empty_and_the_page_served(functions, redis_client):
    timelines, read_time, _ = filled(functions)
    redis_client.set(source_posts_key(SOURCES[0]), "not a list")  # WRONGTYPE for its tl_page
    riders = read_time.page_riders(SOURCES, None, 10)
    page, sources = timelines.page_with_sources(read_time, 1, None, 5, riders=riders)
    assert page.state == "missing"  # the home page is answered (user 1 has no timeline)
    assert set(SOURCES) <= sources
    assert [r.page is None for r in riders] == [True, False, False]


class _SourceNodeDown:
    """A cluster client whose pipelines fail as when the node of a read-time list does not answer."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def pipeline(self, *args, **kwargs):
        return _FailingPipeline(self._client.pipeline(*args, **kwargs))


class _FailingPipeline:
    def __init__(self, pipe) -> None:
        self._pipe = pipe
        self._lists = False

    def fcall(self, name, numkeys, *keys_and_args):
        self._lists = self._lists or any(k in LIST_KEYS for k in keys_and_args)
        return self._pipe.fcall(name, numkeys, *keys_and_args)

    def execute(self, raise_on_error=True):
        if self._lists:
            raise redis.ConnectionError("the node of a read-time list does not answer")
        return self._pipe.execute(raise_on_error=raise_on_error)


def test_a_list_whose_node_does_not_answer_leaves_the_home_page_and_its_required_riders_served(functions, monkeypatch):
    timelines, read_time, _ = filled(functions)
    riders = read_time.page_riders(SOURCES, None, 10)
    probe = VersionProbe(1)
    monkeypatch.setattr(functions, "client", _SourceNodeDown(functions.client))
    page, _ = timelines.page_with_sources(read_time, 1, None, 5, riders=[probe, *riders])
    assert page.state == "missing"
    assert probe.value is not None  # the required rider was settled by the page's answer
    assert all(r.page is None for r in riders)  # the lists are read on their own next, failing open there
