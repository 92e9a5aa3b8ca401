"""The durable store: the source of truth for posts and the follow graph.

`base` defines the interfaces; each backend lives in a module of its own
(`sqlite_store`, `cassandra_store`). `open_store` picks one from FEED_STORE.
"""

from __future__ import annotations

from feed.store.base import GraphStore, PostStore, Store
from feed.store.url import open_store

__all__ = ["GraphStore", "PostStore", "Store", "open_store"]
