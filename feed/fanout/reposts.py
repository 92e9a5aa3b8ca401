"""What a batch's reposts need resolved (docs/reposts.md): which are still live, and what they share."""

from __future__ import annotations

from collections.abc import Sequence

from feed.events import PostCreated, Reposted
from feed.store.base import Store

MAX_REPOSTS_REMOVED = 100_000  # reposts of one deleted post whose entries a delete removes (the rest: read time)


def live_reposts(store: Store, reposted: Sequence[Reposted]) -> dict[int, int]:
    """Repost id -> original id, of these reposts that are still stored and whose original is live: an
    unreposted repost, or one of a deleted post, is pushed nowhere (two store queries, none without reposts)."""
    if not reposted:
        return {}
    stored = store.reposts.get_reposts([e.repost_id for e in reposted])
    live = store.posts.get_posts({r.post_id for r in stored.values()})
    return {r.repost_id: r.post_id for r in stored.values() if r.post_id in live}


def live_posts(store: Store, posts: Sequence[PostCreated], originals: dict[int, int]) -> set[int]:
    """The batch's created posts not deleted since, live reposts included (known from originals)."""
    ids = [p.post_id for p in posts if p.post_id not in originals]
    return (set(store.posts.get_posts(ids)) if ids else set()) | set(originals)
