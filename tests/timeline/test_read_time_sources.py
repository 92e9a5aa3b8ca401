"""The read-time sources contract on a real redis-server and on the in-memory double."""

from __future__ import annotations

import pytest

from feed.redis.connection import RedisFunctions
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
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
