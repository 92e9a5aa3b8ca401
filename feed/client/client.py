"""FeedClient: the typed Python client of the feed API, one object for every service."""

from __future__ import annotations

import weakref

from feed.client.calls import DEFAULT_TIMEOUT_S, KEEPALIVE_S, Calls, open_channel
from feed.client.groups import GroupCalls
from feed.client.reads import ReadCalls
from feed.client.retry import RetryPolicy
from feed.client.tokens import TokenSource, as_token_source
from feed.client.writes import WriteCalls
from feed.config import Settings
from feed.v1 import (
    feed_service_pb2_grpc,
    filter_service_pb2_grpc,
    graph_service_pb2_grpc,
    group_service_pb2_grpc,
    post_service_pb2_grpc,
)


class FeedClient(WriteCalls, GroupCalls, ReadCalls):
    """Calls the write service (posts, graph, groups, filters), the read service (timelines, markers)
    and the stream server (watch) with plain values: ints for ids, frozen dataclasses for the rest.

    Every method's first argument is the user it acts as; the call carries token_source(that user)
    as its bearer token (a string: one fixed token for every call). Addresses default to
    FEED_WRITE_ADDR, FEED_READ_ADDR and FEED_STREAM_ADDR. Every call has a deadline (timeout_s); a
    watch's connection is pinged after keepalive_s without a frame, so a silent drop ends it (it resumes);
    failures raise a FeedError subclass per status (NotFound, PermissionDenied, Unavailable...).
    Use it in a `with` block, or close() it: that closes the channels and ends open watches."""

    def __init__(
        self,
        write_addr: str | None = None,
        read_addr: str | None = None,
        stream_addr: str | None = None,
        token_source: TokenSource | str = "",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        if not token_source:
            raise ValueError("FeedClient needs a token_source: a callable user_id -> token, or a token")
        settings = Settings.from_env() if None in (write_addr, read_addr, stream_addr) else None
        addrs = {
            "write": write_addr or settings.write_addr,
            "read": read_addr or settings.read_addr,
            "stream": stream_addr or settings.stream_addr,
        }
        # Only the stream's channel pings: a unary call has a deadline, a watch has none.
        self._channels = {
            role: open_channel(addr, keepalive_s if role == "stream" else None) for role, addr in addrs.items()
        }
        self._calls = Calls(as_token_source(token_source), timeout_s, retry)
        write, read = self._channels["write"], self._channels["read"]
        self._posts = post_service_pb2_grpc.PostServiceStub(write)
        self._graph = graph_service_pb2_grpc.GraphServiceStub(write)
        self._groups = group_service_pb2_grpc.GroupServiceStub(write)
        self._filters = filter_service_pb2_grpc.FilterServiceStub(write)
        self._feed = feed_service_pb2_grpc.FeedServiceStub(read)
        self._stream = feed_service_pb2_grpc.FeedServiceStub(self._channels["stream"])
        self._watches: weakref.WeakSet = weakref.WeakSet()

    def close(self) -> None:
        """End open watches, then close the channels (calls still in flight end with Cancelled)."""
        for watch in list(self._watches):
            watch.close()
        for channel in self._channels.values():
            channel.close()

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
