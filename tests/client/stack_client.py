"""A FeedClient for a running test stack (or some of its replicas), minting tokens with its keys."""

from __future__ import annotations

from feed.client import FeedClient, RetryPolicy
from feed.client.tokens import DevTokens


def client_for(stack, timeout_s: float = 10.0, retry: RetryPolicy | None = None, **addrs: str) -> FeedClient:
    """A FeedClient on the stack's addresses (or those given: write_addr, read_addr, stream_addr)."""
    s = stack.settings
    addrs = {"write_addr": s.write_addr, "read_addr": s.read_addr, "stream_addr": s.stream_addr, **addrs}
    return FeedClient(**addrs, token_source=DevTokens(stack.keys), timeout_s=timeout_s, retry=retry)
