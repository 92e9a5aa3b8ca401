"""The one place the benchmark opens gRPC channels and builds request stubs.

Every call carries a bearer token of the user it acts as (the author of a post,
the owner of a home timeline), minted with the run's own keys, exactly as the
tests and load tools call the services; changing how callers authenticate is a
change to this module only.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import grpc

from feed.auth import AuthKeys
from feed.client_auth import TokenCache, authenticated_channel
from feed.config import Settings
from feed.v1 import feed_service_pb2_grpc, post_service_pb2_grpc


def keys_of(secret_file: str) -> AuthKeys:
    """The run's keys: its HS256 secret file (FEED_JWT_SECRET wins when set, as in every process)."""
    return AuthKeys.from_settings(dataclasses.replace(Settings.from_env({}), jwt_secret_file=str(Path(secret_file))))


def open_channel(addr: str, keys: AuthKeys) -> grpc.Channel:
    """A channel to one of our services whose calls carry the acting user's token."""
    return authenticated_channel(addr, TokenCache(keys))


def feed_stub(addr: str, keys: AuthKeys) -> tuple[grpc.Channel, feed_service_pb2_grpc.FeedServiceStub]:
    """A FeedService stub and its channel (close the channel when done)."""
    channel = open_channel(addr, keys)
    return channel, feed_service_pb2_grpc.FeedServiceStub(channel)


def post_stub(addr: str, keys: AuthKeys) -> tuple[grpc.Channel, post_service_pb2_grpc.PostServiceStub]:
    """A PostService stub and its channel (close the channel when done)."""
    channel = open_channel(addr, keys)
    return channel, post_service_pb2_grpc.PostServiceStub(channel)
