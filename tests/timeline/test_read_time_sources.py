"""The read-time sources contract on a real redis-server and on the in-memory double."""

from __future__ import annotations

import pytest

from feed.domain import Source
from feed.redis.connection import RedisFunctions
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.timeline.contract import fresh
from tests.timeline.in_memory import InMemoryReadTimeSources, InMemoryTimelineStore
from tests.timeline.read_time_contract import ReadTimeSourcesContract


class TestInMemoryReadTimeSources(ReadTimeSourcesContract):
    def make_pair(self, max_entries):
        return InMemoryTimelineStore(max_entries), InMemoryReadTimeSources(max_entries)


@pytest.mark.integration
class TestRedisReadTimeSources(ReadTimeSourcesContract):
    @pytest.fixture(autouse=True)
    def _redis(self, functions: RedisFunctions) -> None:
        self.functions = functions  # an emptied Redis per test

    def make_pair(self, max_entries):
        return RedisTimelineStore(self.functions, max_entries), RedisReadTimeSources(self.functions, max_entries)


@pytest.mark.integration
@pytest.mark.parametrize("changes_seen", [1, 2], ids=["version-would-repeat", "version-would-go-back"])
def test_a_readers_copy_from_before_redis_lost_the_registry_takes_the_first_source_registered_after(
    functions, redis_client, changes_seen
):
    """The registry starts over after a flush; its first version then must be one no reader has seen,
    above theirs, or a reader keeps its old copy (one without the new source) until it is refetched."""
    read_time = RedisReadTimeSources(functions, 10)
    directory = read_time.directory_of(0)
    for author in range(1, changes_seen + 1):
        read_time.push([(Source(author_id=author), fresh(1)[0])])
        directory.absorb(functions.call(*directory.call()))
    assert len(directory.absorb(functions.call(*directory.call()))) == changes_seen
    redis_client.flushall()
    read_time.push([(Source(author_id=99), fresh(1)[0])])
    assert directory.absorb(functions.call(*directory.call())) == {Source(author_id=99)}
