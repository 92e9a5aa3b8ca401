"""The life of one stream: catch up from its token, then send what notifications wake it to.

Transport-free: the gRPC servicer hands it an Out (the three kinds of event) and a way
to run the blocking reads in a thread pool. Writes that block on flow control past
WRITE_DEADLINE_S make the client "slow": it gets a gap instead of a growing buffer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from feed.access.tokens import Unauthenticated
from feed.errors import Unavailable
from feed.stream.hub import StreamHub
from feed.stream.reads import Delivery, NewerReads
from feed.stream.state import POLL_S, StreamState, Unrepost, jittered
from feed.telemetry import metrics

MAX_PAGES = 10  # newer pages one catch-up sends; past them the client gets a gap to re-read from
WRITE_DEADLINE_S = 5.0  # a write blocked longer: the client is slow, its pending items are dropped
SLOW_CLIENT_S = 60.0  # a write blocked this much longer still: the stream ends (the client resumes)
SHUTDOWN_MESSAGE = "server shutting down; resume with the last resume_token"

Blocking = Callable[..., Awaitable[Any]]  # run_blocking(fn, *args): fn's answer, from a thread


class Out(Protocol):
    async def post(self, delivery: Delivery) -> None: ...
    async def deleted(self, post_id: int, token: str) -> None: ...
    async def gap(self, token: str) -> None: ...


class Session:
    """Drives one StreamState: waits, reads, sends; raises Unavailable or Unauthenticated to end."""

    def __init__(
        self,
        stream: StreamState,
        hub: StreamHub,
        reads: NewerReads,
        run_blocking: Blocking,
        out: Out,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stream, self.hub, self.reads, self.run_blocking, self.out, self.clock = (
            stream,
            hub,
            reads,
            run_blocking,
            out,
            clock,
        )

    async def run(self, start_token: str) -> None:
        """Send the missed posts from start_token (or start live at the top), then live ones until ended."""
        stream = self.stream
        if start_token:
            stream.token, stream.wake = start_token, True
        else:
            stream.token = await self.run_blocking(self.reads.top, stream.user_id, stream.org_id)
        while True:
            self.check_end()
            if stream.deletions:
                for item in stream.take_deletions():
                    await self.send_deletion(item)
            if stream.gap:
                await self.send_gap()
            elif stream.wake:
                stream.wake = False  # cleared before reading: a post applied during the read wakes it again
                await self.catch_up()
            else:
                await self.wait()

    async def catch_up(self) -> None:
        """Send newer pages from the position until an empty one; past MAX_PAGES, a gap instead."""
        stream = self.stream
        for _ in range(MAX_PAGES):
            batch = await self.run_blocking(self.reads.newer, stream.user_id, stream.org_id, stream.token)
            for delivery in batch.deliveries:
                await self.send(self.out.post(delivery))
                if stream.gap:  # fell behind while sending: the gap's token is past the last post sent
                    return
                stream.token = delivery.token
            stream.token = batch.token
            if not batch.more:
                return
            self.check_end()
        stream.fall_behind("behind")

    async def send_deletion(self, item: int | Unrepost) -> None:
        """deleted_post_id for a deletion; for an unrepost, the original's id (what the client was shown),
        unless the timeline still shows the post through itself or another repost (docs/streams.md)."""
        stream = self.stream
        if isinstance(item, Unrepost):
            # Checked after the unrepost was applied (the worker notifies once Redis has it): the reads see
            # the timeline without the entry. A repost made after the check is shown by the next newer read.
            followed = frozenset(stream.sources)
            token = await self.run_blocking(
                self.reads.unreposted,
                stream.user_id,
                stream.org_id,
                stream.token,
                item.post_id,
                item.reposter_id,
                followed,
            )
            if token is None:  # still shown: nothing to remove
                return
            stream.token, item = token, item.post_id  # the position forgets it: a later repost shows it again
        await self.send(self.out.deleted(item, stream.token))

    async def send_gap(self) -> None:
        """The gap owed, at the position: the client re-reads from there; the stream goes on live from the top."""
        stream = self.stream
        metrics.STREAM_GAPS.labels(stream.gap).inc()
        token, stream.gap = stream.token, ""
        await self.send(self.out.gap(token))
        stream.token = await self.run_blocking(self.reads.top, stream.user_id, stream.org_id)
        stream.wake = False  # the top already holds whatever woke it

    async def wait(self) -> None:
        """Until a notification, the safety poll or the token's expiry; no task, one timer."""
        stream = self.stream
        now = self.clock()
        if now >= stream.poll_at:
            stream.poll_at = now + jittered(POLL_S)
            stream.wake = True
            return
        timer = asyncio.get_running_loop().call_later(
            max(0.0, min(stream.poll_at, stream.expires_at) - now), stream.event.set
        )
        try:
            await stream.event.wait()
        finally:
            timer.cancel()
            stream.event.clear()

    def check_end(self) -> None:
        if self.hub.stopping:
            raise Unavailable(SHUTDOWN_MESSAGE)
        if self.clock() >= self.stream.expires_at:
            raise Unauthenticated("the token has expired")

    async def send(self, write: Awaitable[None]) -> None:
        """Write one event; a write blocked past WRITE_DEADLINE_S makes the stream fall behind."""
        task = asyncio.ensure_future(write)
        done, _ = await asyncio.wait({task}, timeout=WRITE_DEADLINE_S)
        if done:
            return task.result()
        self.stream.fall_behind("slow")
        done, _ = await asyncio.wait({task}, timeout=SLOW_CLIENT_S)
        if not done:
            task.cancel()
            raise Unavailable("the client reads too slowly; resume with the last resume_token")
        return task.result()
