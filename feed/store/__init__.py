"""The durable store: the source of truth for posts, the follow graph and organizations.

`base` defines the interfaces; each backend lives in modules of its own
(`sqlite`; the `cassandra` package). `open_store` picks one from FEED_STORE.
"""

from __future__ import annotations

from feed.store.base import GraphStore, OrgStore, PostStore, Store
from feed.store.url import open_store

__all__ = ["GraphStore", "OrgStore", "PostStore", "Store", "open_store"]
