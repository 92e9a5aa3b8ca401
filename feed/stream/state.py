"""One open stream's state: its position, what wakes it, and the bounds that keep it small.

An idle stream is this object, its RPC's coroutine, an asyncio.Event and one timer: no
task, no queue of posts. New posts set a flag (many posts, one read); deletions queue
up to MAX_PENDING ids, past which the stream is "slow": its pending items are dropped
and it owes the client a gap (a token to re-read from with GetHomeTimeline).
Everything here runs on the stream server's event loop, so it needs no lock.
"""

from __future__ import annotations

import asyncio
import random
from typing import NamedTuple

MAX_PENDING = 256  # deletions waiting to be sent to one stream; past it the stream gets a gap instead
MAX_SOURCES = 5_000  # followees and groups one stream watches; past it the first ones (logged)
POLL_S = 60.0  # safety read of every stream (jittered): covers a worker killed between apply and publish


class Unrepost(NamedTuple):
    """A pending unrepost: the original the client was shown through the repost, and its reposter."""

    post_id: int
    reposter_id: int


class StreamState:
    """What one WatchHomeTimeline call holds between its events."""

    __slots__ = ("deletions", "event", "expires_at", "gap", "org_id", "poll_at", "sources", "token", "user_id", "wake")

    def __init__(self, user_id: int, org_id: int, token: str, expires_at: float, now: float) -> None:
        self.user_id = user_id
        self.org_id = org_id
        self.token = token  # the position: a prev page token past the last post sent
        self.sources: set[int] = set()  # Source.to_member of the user, their followees and groups
        self.wake = False  # a post of a watched source was applied: read newer from token
        self.deletions: list[int | Unrepost] = []  # in the order applied
        self.gap = ""  # the reason a gap is owed ("" for none)
        self.event = asyncio.Event()
        self.expires_at = expires_at  # the token's exp (time.time() seconds)
        self.poll_at = now + jittered(POLL_S)

    def notify_post(self) -> None:
        """A post of a watched source was applied: read once, however many arrive meanwhile."""
        self.wake = True
        self.event.set()

    def notify_deletion(self, post_id: int) -> None:
        """Send deleted_post_id; past MAX_PENDING, the stream is too slow and gets a gap."""
        if len(self.deletions) >= MAX_PENDING:
            self.fall_behind("overflow")
        else:
            self.deletions.append(post_id)
        self.event.set()

    def notify_unrepost(self, post_id: int, reposter_id: int) -> None:
        """A repost of post_id was taken back: send deleted_post_id unless the timeline still shows the post
        (the session checks); bounded with the deletions."""
        if len(self.deletions) >= MAX_PENDING:
            self.fall_behind("overflow")
        else:
            self.deletions.append(Unrepost(post_id, reposter_id))
        self.event.set()

    def fall_behind(self, reason: str) -> None:
        """Drop what is pending and owe the client a gap (never an unbounded buffer)."""
        self.deletions.clear()
        self.wake = False
        self.gap = reason
        self.event.set()

    def take_deletions(self) -> list[int | Unrepost]:
        taken, self.deletions = self.deletions, []
        return taken


def jittered(seconds: float) -> float:
    """seconds, give or take a quarter: streams opened together do not poll together."""
    return seconds * random.uniform(0.75, 1.25)
