"""The streams of one read process, indexed by the sources they watch and by their user.

A notification names the author and group of each post; the index answers which of
this process's streams watch either, without looking at the others. Sources are
Source.to_member integers (an author id, or minus a group id). Graph changes in the
notifications keep it current: a followee added while a stream is open is watched
from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from feed.domain import Source
from feed.stream.state import MAX_SOURCES, StreamState

log = logging.getLogger("feed.stream")


class StreamIndex:
    """Open streams by watched source and by user."""

    def __init__(self, max_sources: int = MAX_SOURCES) -> None:
        self._by_source: dict[int, set[StreamState]] = {}
        self._by_user: dict[int, set[StreamState]] = {}
        self._max_sources = max_sources

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_user.values())

    def add(self, stream: StreamState, sources: Iterable[Source]) -> None:
        """Index a stream under its user (who watches their own posts) and its sources, at most max_sources."""
        self._by_user.setdefault(stream.user_id, set()).add(stream)
        self._watch(stream, stream.user_id)
        for n, source in enumerate(sources):
            if n >= self._max_sources:
                log.warning(
                    "stream watches its first %d sources only", self._max_sources, extra={"user": stream.user_id}
                )
                break
            self._watch(stream, source.to_member())

    def remove(self, stream: StreamState) -> None:
        for member in stream.sources:
            self._drop(self._by_source, member, stream)
        stream.sources.clear()
        self._drop(self._by_user, stream.user_id, stream)

    def watchers(self, source: Source) -> set[StreamState]:
        """The streams watching source (the caller must not change the set)."""
        return self._by_source.get(source.to_member(), _NONE)

    def of_user(self, user_id: int) -> set[StreamState]:
        return self._by_user.get(user_id, _NONE)

    def follow(self, user_id: int, source: Source) -> None:
        """user_id now follows (or joined) source: their streams watch it too."""
        for stream in self.of_user(user_id):
            if len(stream.sources) <= self._max_sources:
                self._watch(stream, source.to_member())

    def unfollow(self, user_id: int, source: Source) -> None:
        member = source.to_member()
        for stream in self.of_user(user_id):
            if member != stream.user_id and member in stream.sources:
                stream.sources.discard(member)
                self._drop(self._by_source, member, stream)

    def streams(self) -> Iterator[StreamState]:
        for streams in list(self._by_user.values()):
            yield from list(streams)

    def _watch(self, stream: StreamState, member: int) -> None:
        stream.sources.add(member)
        self._by_source.setdefault(member, set()).add(stream)

    @staticmethod
    def _drop(table: dict[int, set[StreamState]], key: int, stream: StreamState) -> None:
        streams = table.get(key)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del table[key]


_NONE: set[StreamState] = set()
