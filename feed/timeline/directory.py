"""A process's copy of an organization's registry of read-time sources, kept current by its version.

The read path pipelines the registry's version check with a page's first round
trip (feed/timeline/store.py page_with_sources); the members travel only when
the version changed. Every change of the members bumps the version (rt_register,
rt_forget in feed/redis/lua/feed.lua), so an unchanged version is an unchanged set.

Redis can lose the set and its version together (FLUSHALL, a node replaced empty). The
registry then starts over, but not at 1: its first version is Redis's clock in microseconds,
above any version a copy from before holds, so the first source registered after the loss
replaces every copy on its next read (a version starting over at 1 would repeat a copy's
version, or fall below it, and leave the copy without the new source until DIRECTORY_MAX_AGE_S).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from feed.domain import Source
from feed.redis.keys import read_time_sources_key, read_time_version_key

# Refetch the members at least this often: the last resort after a loss (a new Redis whose clock is behind).
DIRECTORY_MAX_AGE_S = 60.0


class SourceDirectory:
    """A process's copy of an organization's set of read-time sources, refreshed only when Redis
    says its version changed.

    call() is the function call to pipeline with a read's first round trip;
    absorb() takes its answer: the version alone while the copy is current, the
    members when it is not. Thread-safe: the read service serves calls in threads.
    """

    def __init__(self, clock=time.monotonic, org_id: int = 0) -> None:
        self._clock = clock
        self._keys = [read_time_sources_key(org_id), read_time_version_key(org_id)]
        self._lock = threading.Lock()
        self._version = -1  # never fetched: the first answer carries the members
        self._members: frozenset[Source] = frozenset()
        self._fetched_at = 0.0

    def call(self) -> tuple[str, list[str], list[Any]]:
        with self._lock:
            known = -1 if self._stale() else self._version
        return ("tl_celebrities", self._keys, [known])

    def absorb(self, reply: list[Any]) -> frozenset[Source]:
        """The current members, from a tl_celebrities answer ({version} or {version, size, members...}).

        Answers of concurrent reads can arrive out of order: a copy is replaced
        only by one of a version at least as new (every change bumps it), or by
        any once the copy is too old (Redis may have lost the set and its version).
        """
        version = int(reply[0])
        with self._lock:
            if len(reply) > 1 and (version >= self._version or self._stale()):
                self._members = frozenset(Source.from_member(x) for x in reply[2:])
                self._version = version
                self._fetched_at = self._clock()
            return self._members

    def _stale(self) -> bool:
        return self._clock() - self._fetched_at > DIRECTORY_MAX_AGE_S
