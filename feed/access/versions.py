"""Relationship versions: one random value per user in Redis that changes whenever their follows, groups or blocks do.

A read service keeps each reader's follow-guard facts in memory (feed/read/guard_cache.py)
and trusts them only while the version it reads at the start of a page is the one they
were fetched under. So every write use case that changes whom a user follows, which
groups they are in, or who blocks whom sets a new version for each user whose facts
change: after the store committed (a reader that sees the new value reads the store
after the change) and before the call answers (the very next read sees it).

New random values, never a counter: after a flush or a failover a counter would restart
and repeat values that readers still hold facts under. A missing key (never set, or
lost) is set to a new random value by the reader's own read (rv_get), so every reader
gets the cache; facts fetched under it are replaced by the next change's version.

What that relies on: every change of relationships goes through these use cases. A
direct store write (a bulk load, a write service older than this during a rolling
upgrade: deploy write services first) is seen by readers with cached facts only once
their entry ages out (GuardCache's 60 s).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterable
from typing import Any, Protocol

from feed.redis.calls import Call
from feed.redis.connection import RedisFunctions
from feed.redis.keys import relationship_version_key


class _FreshValues:
    """Values never handed out before, by any process: a random nonce of this process and a counter.

    A page's probe offers one for a missing key (rv_get): drawing 8 random bytes from the kernel for
    every page cost a getrandom call, while the value is used only when the key is missing. Unique is
    what a version needs (it must differ from every value a reader may hold facts under); a forked
    child draws a nonce of its own, so it never repeats its parent's values."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._counter = itertools.count(1)  # next() is atomic under the GIL: threads never share a value

    def next(self) -> str:
        return f"{self._nonce}.{next(self._counter):x}"


_FRESH = _FreshValues()


class RelationshipVersions(Protocol):
    """What the write use cases need: give these users' relationships a new version."""

    def bump(self, user_ids: Iterable[int], org_id: int = 0) -> None: ...


class RedisRelationshipVersions:
    """The versions in Redis, next to each user's home timeline (one cluster slot per user)."""

    def __init__(self, functions: RedisFunctions) -> None:
        self._fn = functions

    def bump(self, user_ids: Iterable[int], org_id: int = 0) -> None:
        """A new random version for each user, in one pipelined round trip; Unavailable when Redis
        does not answer (the caller's call fails and is retried: every use case is idempotent)."""
        calls = [("rv_set", [relationship_version_key(u, org_id)], [secrets.token_hex(8)]) for u in set(user_ids)]
        self._fn.call_many(calls)

    def probe(self, user_id: int, org_id: int = 0) -> VersionProbe:
        """A read of the user's version that rides in a page's first round trip."""
        return VersionProbe(user_id, org_id)


class VersionProbe:
    """One read of a user's relationship version, as a Rider (feed/redis/calls.py): value is None
    until settled. A missing key is set to a new random value by the read itself (rv_get)."""

    __slots__ = ("_key", "value")

    def __init__(self, user_id: int, org_id: int = 0) -> None:
        self._key = relationship_version_key(user_id, org_id)
        self.value: bytes | str | None = None

    def call(self) -> Call:
        return ("rv_get", [self._key], [_FRESH.next()])  # the value to start from if it is missing

    def settle(self, reply: Any) -> None:
        self.value = reply

    def settle_alone(self) -> None:
        """No Redis to ask: no version, as for a missing key that could not be set (nothing cached)."""
        self.value = None
