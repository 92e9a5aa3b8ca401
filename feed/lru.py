"""A bounded, thread-safe least-recently-used map: the one shape of every per-process cache here.

Caches of tokens and bindings are keyed by users, whose number has no bound:
past max_entries the least recently used entry is dropped. The ordering and
eviction are cachetools' LRUCache; cachetools' caches are not thread-safe, and
these are shared by the servers' handler threads, so every call holds one lock.
Measured against the hand-written OrderedDict it replaces (docs/performance.md):
a fraction of a microsecond more a call, a few calls a page.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

import cachetools

K = TypeVar("K")
V = TypeVar("V")


class BoundedLru(Generic[K, V]):
    """get, put and discard under one lock; at most max_entries entries."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._entries: cachetools.LRUCache[K, V] = cachetools.LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    @property
    def max_entries(self) -> int:
        return int(self._entries.maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value, now the most recently used; None when absent."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        """Store as the most recently used, dropping the least recently used past the bound."""
        with self._lock:
            self._entries[key] = value

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)
