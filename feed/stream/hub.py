"""The streams of one read process and the notifications that wake them.

Runs on the stream server's event loop (the subscriber feeds it there), so its
index needs no lock. Which streams a notification wakes is decided from the
index alone; what a woken stream sends is decided by its own newer-page read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from feed.domain import Source
from feed.errors import ResourceExhausted
from feed.fanout.notify import Applied, PostNote
from feed.stream.index import StreamIndex
from feed.stream.state import StreamState
from feed.telemetry import metrics

log = logging.getLogger("feed.stream")
MAX_STREAMS = 20_000  # default FEED_STREAM_MAX
RETRY_AFTER_MS = 5_000  # a refused stream is told to try again after this (or another replica)


class StreamHub:
    """Open streams, woken by applied notifications, ended together on shutdown."""

    def __init__(self, max_streams: int = MAX_STREAMS) -> None:
        self.index = StreamIndex()
        self.stopping = False
        self._open = 0
        self._max = max_streams

    def __len__(self) -> int:
        return self._open

    def open(self, stream: StreamState, sources: Iterable[Source]) -> None:
        """Register a stream watching its user and sources; ResourceExhausted past the process's bound."""
        if self._open >= self._max:
            raise ResourceExhausted(f"this server holds its maximum of {self._max} streams", RETRY_AFTER_MS)
        self.index.add(stream, sources)
        self._open += 1
        metrics.STREAMS_OPEN.inc()

    def close(self, stream: StreamState) -> None:
        self.index.remove(stream)
        self._open -= 1
        metrics.STREAMS_OPEN.dec()

    def on_applied(self, applied: Applied) -> None:
        """Wake the streams a notification concerns: graph changes first, so a post of a
        followee added in the same batch wakes the new follower's streams too."""
        for change in applied.graph:
            if change.added:
                self.index.follow(change.user_id, change.source)
                for stream in self.index.of_user(change.user_id):
                    stream.notify_post()  # the follow's backfill may hold posts newer than the position
            else:
                self.index.unfollow(change.user_id, change.source)
        for note in applied.posts:
            for stream in self._watching(note):
                stream.notify_post()
        for note in applied.deletions:
            for stream in self._watching(note):
                stream.notify_deletion(note.post_id)
        for unrepost in applied.unreposts:  # the reposter's followers (and the reposter) had it
            for stream in self.index.watchers(Source(author_id=unrepost.reposter_id)):
                stream.notify_unrepost(unrepost.post_id, unrepost.reposter_id)

    def wake_all(self) -> None:
        """Every stream reads newer: after notifications may have been lost (a resubscribe)."""
        for stream in self.index.streams():
            stream.notify_post()

    def shutdown(self) -> None:
        """Every stream ends (its coroutine sees stopping), telling the client to resume."""
        self.stopping = True
        for stream in self.index.streams():
            stream.event.set()

    def _watching(self, note: PostNote) -> set[StreamState]:
        by_author = self.index.watchers(Source(author_id=note.author_id))
        if not note.group_id:
            return by_author
        return by_author | self.index.watchers(Source(group_id=note.group_id))
