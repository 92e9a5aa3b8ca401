"""The one place the benchmark opens gRPC channels and builds request stubs.

Every call carries a bearer token of the user it acts as (the author of a post,
the owner of a home timeline), from the load kit's TokenProvider minted with the
run's own keys, exactly as the tests and the replayer call the services. Reads,
the calls sent a thousand a second, pass the token as per-call metadata
(`tokens.metadata(user)`) rather than through a client interceptor (cheaper).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import grpc

from feed.access.tokens import AuthKeys
from feed.config import Settings
from feed.loadkit.tokens import TokenProvider, authenticated_channel, balanced_channel
from feed.v1 import feed_service_pb2_grpc, post_service_pb2_grpc


def keys_of(secret_file: str) -> AuthKeys:
    """The run's keys: its HS256 secret file (FEED_JWT_SECRET wins when set, as in every process)."""
    return AuthKeys.from_settings(dataclasses.replace(Settings.from_env({}), jwt_secret_file=str(Path(secret_file))))


def feed_stub(addrs: list[str]) -> tuple[grpc.Channel, feed_service_pb2_grpc.FeedServiceStub]:
    """A FeedService stub and its channel (close the channel when done), balanced round robin
    over the read replicas at addrs. Its calls must pass metadata=tokens.metadata(acting user)."""
    channel = balanced_channel(addrs)
    return channel, feed_service_pb2_grpc.FeedServiceStub(channel)


def post_stub(addr: str, tokens: TokenProvider) -> tuple[grpc.Channel, post_service_pb2_grpc.PostServiceStub]:
    """A PostService stub and its channel (close the channel when done); calls carry the author's token."""
    channel = authenticated_channel(addr, tokens)
    return channel, post_service_pb2_grpc.PostServiceStub(channel)
