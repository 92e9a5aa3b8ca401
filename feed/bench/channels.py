"""The one place the benchmark opens gRPC channels and builds request stubs.

Every call carries a bearer token of the user it acts as (the author of a post,
the owner of a home timeline), minted with the run's own keys, exactly as the
tests and load tools call the services; changing how callers authenticate is a
change to this module only. Reads, the calls sent a thousand a second, get the
token as per-call metadata rather than through a client interceptor (cheaper).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import grpc

from feed.access.client_tokens import TOKEN_TTL_S, TokenCache, authenticated_channel
from feed.access.tokens import AuthKeys, mint
from feed.config import Settings
from feed.v1 import feed_service_pb2_grpc, post_service_pb2_grpc

Metadata = tuple[tuple[str, str], ...]


def keys_of(secret_file: str) -> AuthKeys:
    """The run's keys: its HS256 secret file (FEED_JWT_SECRET wins when set, as in every process)."""
    return AuthKeys.from_settings(dataclasses.replace(Settings.from_env({}), jwt_secret_file=str(Path(secret_file))))


def open_channel(addr: str, keys: AuthKeys) -> grpc.Channel:
    """A channel to one of our services whose calls carry the acting user's token."""
    return authenticated_channel(addr, TokenCache(keys))


def balanced_target(addrs: list[str]) -> str:
    """One gRPC target naming every replica (`ipv4:HOST:PORT,HOST:PORT`), or the one address."""
    return addrs[0] if len(addrs) == 1 else "ipv4:" + ",".join(addrs)


def bearer_metadata(keys: AuthKeys, issued_at: float | None = None) -> Callable[[int], Metadata]:
    """metadata_of(user): the call metadata carrying user's token, minted on first use and kept.

    For callers that know the acting user: passing it per call costs less than
    a client interceptor reading it from each request, which at a thousand
    calls a second is CPU taken from the processes being measured. Tokens are
    minted as issued at issued_at (default now): load generators of one run
    given the same moment send the same tokens, as one population of clients
    reusing their tokens would, rather than a new token per user per process.
    """
    cache: dict[int, Metadata] = {}

    def metadata_of(user_id: int) -> Metadata:
        found = cache.get(user_id)
        if found is None:
            token = mint(keys, user_id, ttl_s=TOKEN_TTL_S, now=issued_at)
            found = cache[user_id] = (("authorization", f"Bearer {token}"),)
        return found

    return metadata_of


def feed_stub(addrs: list[str]) -> tuple[grpc.Channel, feed_service_pb2_grpc.FeedServiceStub]:
    """A FeedService stub and its channel (close the channel when done), balanced round robin
    over the read replicas at addrs, as a client in front of stateless replicas would. Its calls
    must pass metadata=bearer_metadata(keys)(acting user)."""
    options = [("grpc.lb_policy_name", "round_robin")]
    channel = grpc.insecure_channel(balanced_target(addrs), options=options)
    return channel, feed_service_pb2_grpc.FeedServiceStub(channel)


def post_stub(addr: str, keys: AuthKeys) -> tuple[grpc.Channel, post_service_pb2_grpc.PostServiceStub]:
    """A PostService stub and its channel (close the channel when done)."""
    channel = open_channel(addr, keys)
    return channel, post_service_pb2_grpc.PostServiceStub(channel)
