"""The write use cases over a real SQLite store and a real Redis, recording events in the store's outbox."""

from __future__ import annotations

import pytest

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RedisRelationshipVersions
from feed.actions.graph import GraphActions
from feed.actions.groups import GroupActions
from feed.actions.posts import PostActions
from feed.actions.sink import EventSink
from feed.ids import IdGenerator
from feed.redis.post_cache import RedisPostCache
from tests.messaging.recorded import RecordedEvents

NOW_MS = 1_760_000_000_000  # the clock every use case here reads
MAX_CHARS = 50
ORG = 7  # an organization other than the default, where users exist only once they signed in


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


@pytest.fixture
def publisher(store):
    """The events the use cases recorded in the store's outbox (what the relay will publish)."""
    return RecordedEvents(store.outbox)


@pytest.fixture
def cache(redis_client):
    return RedisPostCache(redis_client, ttl_s=60)


@pytest.fixture
def limiter(redis_client):
    return RedisRateLimiter(redis_client, rate_per_s=1000, burst=1000)


@pytest.fixture
def orgs(store):
    return OrgDirectory(store.orgs)


@pytest.fixture
def sign_in(orgs):
    """The Principal of a user who signed in to an organization (bound to it, as the service does)."""

    def signed_in(user_id: int, org_id: int = ORG, admin: bool = False) -> Principal:
        principal = Principal(user_id, org_id, admin)
        orgs.bind(principal)
        return principal

    return signed_in


@pytest.fixture
def sink():
    return EventSink(lambda: NOW_MS)


@pytest.fixture
def posts(store, cache, limiter, sink):
    access = GroupAccess(store.orgs)
    return PostActions(store.posts, access, cache, limiter, sink, IdGenerator(), lambda: NOW_MS, MAX_CHARS)


@pytest.fixture
def versions(functions):
    return RedisRelationshipVersions(functions)


@pytest.fixture
def graph(store, orgs, limiter, sink, versions):
    return GraphActions(store.graph, orgs, limiter, sink, versions)


@pytest.fixture
def make_groups(store, orgs, limiter, sink, versions):
    """GroupActions on the tests' store and doubles; clock and the keyword settings may be given."""

    def make(clock=lambda: NOW_MS, **settings) -> GroupActions:
        access = GroupAccess(store.orgs)
        return GroupActions(
            store.orgs, store.graph, access, orgs, limiter, sink, IdGenerator(), clock, versions=versions, **settings
        )

    return make


@pytest.fixture
def groups(make_groups):
    return make_groups()
