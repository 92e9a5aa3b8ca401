"""Rebuild a home timeline from the durable store when Redis does not have it.

A timeline is the newest posts of the user and everyone they follow, and of
every group they are a member of. The
rebuild claims the timeline first (a building marker that fan-out pushes
into), then reads the store, then merges: a post fanned out while the store
was being read lands either in the snapshot or in the marker list, never
between. Only the claimant rebuilds; other readers wait for it.
"""

from __future__ import annotations

import heapq
import itertools
import logging

from feed.store.base import Store, walk_pages
from feed.timeline.store import TimelineStore

log = logging.getLogger(__name__)
MAX_GROUPS = 10_000  # groups read per rebuild: bounds a rebuild's store queries


def newest_post_ids(store: Store, user_id: int, limit: int) -> tuple[list[int], bool]:
    """The newest `limit` post ids of the user's timeline, and whether that is all of it."""
    authors = {user_id, *store.graph.iter_following(user_id)}
    per_author = [[p.post_id for p in store.posts.list_author_posts(a, None, limit)] for a in authors]
    groups = itertools.islice(walk_pages(lambda t: store.orgs.list_user_groups(user_id, 1000, t)), MAX_GROUPS)
    per_author += [[p.post_id for p in store.posts.list_group_posts(g, None, limit)] for g in groups]
    capped = any(len(ids) >= limit for ids in per_author)  # such an author may have older posts
    merged = list(itertools.islice(heapq.merge(*per_author, reverse=True), limit + 1))
    complete = not capped and len(merged) <= limit
    return merged[:limit], complete


def rebuild_home_timeline(store: Store, timelines: TimelineStore, user_id: int, org_id: int = 0) -> bool:
    """Rebuild one timeline if it is missing; False if it exists or another caller has it."""
    if not timelines.begin_rebuild(user_id, org_id):
        return False
    try:
        ids, complete = newest_post_ids(store, user_id, timelines.max_entries)
        timelines.finish_rebuild(user_id, ids, complete, org_id)
    except BaseException:
        timelines.drop(user_id, org_id)  # release the claim so the next reader can try again
        raise
    log.info("rebuilt home timeline", extra={"user_id": user_id, "entries": len(ids)})
    return True
