"""The read process's subscription to the applied notifications, on the stream server's loop.

One subscription per process, whatever the number of streams. In Redis Cluster a
PUBLISH reaches the subscribers of every node (the cluster bus carries it), so the
subscriber holds one connection to any one node and moves to the next on failure.
A subscription that is lost may have missed notifications: whenever it subscribes
again (redis-py resubscribes on its own after a reconnect, and so do we after an
error), every stream reads newer from its position, so nothing is lost meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import redis.asyncio as aioredis

from feed.fanout.notify import Applied, decode_applied
from feed.redis.cluster import is_cluster_url, parse_cluster_url
from feed.redis.keys import APPLIED_CHANNEL
from feed.telemetry import metrics

log = logging.getLogger("feed.stream")
RETRY_S = (0.05, 0.2, 1.0, 2.0)  # pauses between attempts to subscribe again, the last repeated
SOCKET_TIMEOUT_S = 5.0


def subscriber_clients(url: str) -> list[Callable[[], aioredis.Redis]]:
    """Factories of an asyncio client of each node to try, in order (one for a standalone Redis)."""
    if not is_cluster_url(url):
        return [lambda: aioredis.Redis.from_url(url, socket_connect_timeout=SOCKET_TIMEOUT_S)]
    nodes, username, password, tls = parse_cluster_url(url)
    return [
        (
            lambda host=host, port=port: aioredis.Redis(
                host=host,
                port=port,
                username=username,
                password=password,
                ssl=tls,
                socket_connect_timeout=SOCKET_TIMEOUT_S,
            )
        )
        for host, port in nodes
    ]


class AppliedSubscriber:
    """Feeds every applied notification to on_applied, and calls on_resubscribed after every
    subscription but the first (notifications may have been missed in between)."""

    def __init__(self, url: str, on_applied: Callable[[Applied], None], on_resubscribed: Callable[[], None]) -> None:
        self._clients = subscriber_clients(url)
        self._on_applied = on_applied
        self._on_resubscribed = on_resubscribed
        self._subscribed_before = False
        self.subscribed = asyncio.Event()  # set while subscribed (tests and readiness wait on it)

    async def run(self) -> None:
        """Subscribe and dispatch until cancelled; errors are logged and retried, never raised."""
        failures = 0
        while True:
            client = self._clients[failures % len(self._clients)]()
            try:
                await self._listen(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost, node down, CLIENT KILL: subscribe again
                self.subscribed.clear()
                log.warning("applied notifications: subscription lost (%s); subscribing again", type(exc).__name__)
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
            finally:
                await client.aclose()

    async def _listen(self, client: aioredis.Redis) -> None:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(APPLIED_CHANNEL)
            async for message in pubsub.listen():
                kind = message["type"]
                if kind == "subscribe":  # the first time, or again after redis-py reconnected by itself
                    self._subscribed()
                elif kind == "message":
                    self._dispatch(message["data"])

    def _subscribed(self) -> None:
        self.subscribed.set()
        if self._subscribed_before:
            metrics.STREAM_RESUBSCRIBES.inc()
            log.info("applied notifications: subscribed again; every stream catches up")
            self._on_resubscribed()
        self._subscribed_before = True

    def _dispatch(self, data: bytes) -> None:
        try:
            applied = decode_applied(data)
        except ValueError as exc:
            log.warning("skipping a message on %s: %s", APPLIED_CHANNEL, exc)
            return
        self._on_applied(applied)
