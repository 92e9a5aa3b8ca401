"""The write service's servicers in an in-process gRPC server, over SQLite, a real Redis and its
outbox: the edge (auth, conversion, status mapping) without the rest of the stack."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import grpc
import pytest

from feed.access.rate_limit import RedisRateLimiter, read_limiter
from feed.access.tokens import AuthKeys, mint
from feed.access.versions import RedisRelationshipVersions
from feed.config import Settings
from feed.redis.connection import RedisFunctions
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.v1 import graph_service_pb2_grpc, group_service_pb2_grpc, post_service_pb2_grpc
from services.server import build_server
from services.write_service import SERVICE_NAMES, wire_servicers
from tests.messaging.recorded import RecordedEvents

NOW_MS = 1_760_000_000_123  # the servicers' clock
KEYS = AuthKeys("HS256", "s" * 32, "s" * 32)


@dataclasses.dataclass
class WriteService:
    """Stubs of a running write service, and what it publishes."""

    posts: post_service_pb2_grpc.PostServiceStub
    graph: graph_service_pb2_grpc.GraphServiceStub
    groups: group_service_pb2_grpc.GroupServiceStub
    publisher: RecordedEvents

    @staticmethod
    def as_user(user_id: int, org_id: int = 0) -> tuple[tuple[str, str], ...]:
        """Call metadata carrying a token of user_id in org_id."""
        return (("authorization", f"Bearer {mint(KEYS, user_id, org_id)}"),)


@pytest.fixture
def start_write_service(tmp_path, redis_client) -> Callable[..., WriteService]:
    """Start the write service; each user may write rate_per_s (and read read_rate_per_s) times a
    second, burst at once."""
    stops: list[Callable[[], None]] = []

    def start(
        rate_per_s: float = 1000.0, burst: int = 1000, read_rate_per_s: float = 1000.0, read_burst: int = 1000
    ) -> WriteService:
        store = open_store("sqlite:///" + str(tmp_path / f"feed-{len(stops)}.db"))
        limiter = RedisRateLimiter(redis_client, rate_per_s, burst)
        reads = read_limiter(redis_client, read_rate_per_s, read_burst)
        cache = RedisPostCache(redis_client, ttl_s=60)
        versions = RedisRelationshipVersions(RedisFunctions(redis_client))
        wiring = wire_servicers(Settings(), store, cache, limiter, reads, clock=lambda: NOW_MS, versions=versions)
        server, _, port = build_server("127.0.0.1:0", wiring.register, SERVICE_NAMES, KEYS, 4, wiring.on_caller)
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stops.append(lambda: (channel.close(), server.stop(None), store.close()))
        return WriteService(
            post_service_pb2_grpc.PostServiceStub(channel),
            graph_service_pb2_grpc.GraphServiceStub(channel),
            group_service_pb2_grpc.GroupServiceStub(channel),
            RecordedEvents(store.outbox),
        )

    yield start
    for stop in stops:
        stop()
