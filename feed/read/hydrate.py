"""Hydration: post ids to posts, from the Redis cache first and the store on a miss.

Ids the store does not have are not cached (feed/redis/post_cache.py says why):
they cost a store lookup each time, which the per-user read limit bounds.

A repost id hydrates to its original post with the reposter set (docs/reposts.md): the
cache keeps a repost as a pointer, and the originals behind a page's pointers are looked
up in one more cache call, only for pages that hold reposts. A repost whose original is
deleted does not hydrate, so it is dropped as a deleted post is. Repost records are read
from the store only for ids that are neither cached nor posts.

Entries Redis already gave with a timeline page or with the read-time lists
(TimelinePage.cached: a standalone Redis brings them in the page's round trip) are
used as the cache's answer for those ids, tombstones and misses alike; only the
other ids cost a cache call. They were
read a moment earlier than a separate MGET would read them: a deletion whose tombstone
lands in between shows on this page as if it had come just after it (the page is a
snapshot either way; the next read hides it).

Counts cache hits and misses (feed_post_cache_lookups_total): the hit ratio says
whether the cache TTL and Redis memory are sized for the read traffic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from feed.domain import Post
from feed.redis.post_cache import PostCache
from feed.store.base import PostStore
from feed.store.reposts import RepostStore
from feed.telemetry import metrics

# Bound once: looking a labelled child up on every read costs more than the increment.
_HITS = metrics.POST_CACHE_LOOKUPS.labels("hit")
_MISSES = metrics.POST_CACHE_LOOKUPS.labels("miss")


class Hydrator:
    """Turns ids into live posts in at most one cache and one store round trip (two of each with reposts)."""

    def __init__(self, cache: PostCache, posts: PostStore, reposts: RepostStore | None = None) -> None:
        self._cache = cache
        self._posts = posts
        self._reposts = reposts

    def hydrate(self, post_ids: Sequence[int], read: Mapping[int, Any] | None = None) -> dict[int, Post]:
        """The live posts among post_ids (reposts as their originals, reposted_by set); deleted and unknown
        ids, and reposts of deleted posts, are absent. read: cache entries already read (TimelinePage.cached)."""
        found = self._lookup(post_ids, read)
        pointers = [p for p in found.values() if p.repost_of]
        if not pointers:
            return found  # the common page: no repost
        wanted = list(dict.fromkeys(p.repost_of for p in pointers))
        have = {i: found[i] for i in wanted if i in found and not found[i].repost_of}
        originals = have | self._lookup([i for i in wanted if i not in have], read)
        for pointer in pointers:
            original = originals.get(pointer.repost_of)
            if original is None or original.repost_of:  # deleted (or not a post): the repost goes with it
                del found[pointer.post_id]
            else:
                found[pointer.post_id] = dataclasses.replace(
                    original, post_id=pointer.post_id, repost_of=original.post_id, reposted_by=pointer.reposted_by
                )
        return found

    def _lookup(self, post_ids: Sequence[int], read: Mapping[int, Any] | None = None) -> dict[int, Post]:
        """Cached entries (reposts as unresolved pointers), the misses from the store, and those cached."""
        if not post_ids:
            return {}
        found, deleted = self._cache.get_many(post_ids, read)
        misses = [i for i in post_ids if i not in found and i not in deleted]
        _HITS.inc(len(post_ids) - len(misses))  # tombstones are hits too
        if not misses:
            return found
        _MISSES.inc(len(misses))
        loaded = self._posts.get_posts(misses)
        if self._reposts is not None:
            if loaded:
                counts = self._reposts.count_reposts(loaded)
                loaded = {i: dataclasses.replace(p, repost_count=counts.get(i, 0)) for i, p in loaded.items()}
            rest = [i for i in misses if i not in loaded]
            if rest:
                for repost in self._reposts.get_reposts(rest).values():
                    loaded[repost.repost_id] = Post(
                        repost.repost_id, 0, "", 0, 0, repost.org_id, reposted_by=repost.reposter_id,
                        repost_of=repost.post_id,
                    )  # fmt: skip
        found.update(loaded)
        self._cache.fill(list(loaded.values()))
        return found
