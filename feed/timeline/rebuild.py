"""Rebuild a home timeline from the durable store when Redis does not have it.

A timeline is the newest posts (and reposts, each post once: docs/reposts.md) of
the user and everyone they follow, and of every group they are a member of. The rebuild claims the timeline first (a
building mark holding a random token, that fan-out pushes into), then reads the
store, then merges: a post fanned out while the store was being read lands
either in the snapshot or in the marked list, never between. Only the
claimant rebuilds; other readers wait for it.

The claim can be lost while the store is read: the mark expires
(REBUILD_MARK_TTL_S), taking whatever was pushed with it, and fan-out skips the
missing list meanwhile. So the finish installs the list only while the mark
with its token is still there; otherwise nothing is written and the next read
rebuilds, from a store that has those posts.

Bounds on one rebuild's cost: REBUILD_DEADLINE_S of wall time (past it the
claim is given up), max_entries posts per author or group, and at most
MAX_AUTHORS followed authors and MAX_GROUPS groups, in the store's order. A
user following more than MAX_AUTHORS authors gets a timeline of the first
MAX_AUTHORS only (never marked complete); their other authors' posts are
not in it until it is rebuilt or fan-out brings them.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Iterable, Iterator

from feed.domain import Post, Source
from feed.store.base import Store, walk_pages
from feed.timeline.store import TimelineStore

log = logging.getLogger(__name__)
MAX_AUTHORS = 10_000  # followed authors read per rebuild: one store query each
MAX_GROUPS = 10_000  # groups read per rebuild: bounds a rebuild's store queries
GROUP_PAGE = 1000  # groups per store query while listing them
FOLLOW_PAGE = 5000  # followed authors per store query while listing them
# A rebuild still reading the store after this gives up: well inside REBUILD_MARK_TTL_S,
# so a rebuild that finishes normally finds its claim still there.
REBUILD_DEADLINE_S = 20.0


class RebuildAbandoned(Exception):
    """A rebuild wrote nothing: it ran past its deadline, or its claim was lost meanwhile."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"rebuild abandoned: {reason}")
        self.reason = reason  # "deadline" or "claim_lost": a metric label


def home_sources(store: Store, user_id: int, max_authors: int, max_groups: int) -> tuple[list[Source], bool]:
    """Whose posts make up a user's home timeline: the user, then the authors they follow and the groups
    they are in, each in the store's order (stable, so every caller capping them picks the same ones),
    at most max_authors and max_groups of them; and whether some were left out."""
    following = store.graph.iter_following(user_id, min(FOLLOW_PAGE, max_authors + 1))
    authors = list(itertools.islice(following, max_authors + 1))
    group_page = min(GROUP_PAGE, max_groups + 1)
    groups = list(
        itertools.islice(walk_pages(lambda t: store.orgs.list_user_groups(user_id, group_page, t)), max_groups + 1)
    )
    capped = len(authors) > max_authors or len(groups) > max_groups
    sources = [Source(author_id=user_id), *(Source(author_id=a) for a in authors[:max_authors])]
    return sources + [Source(group_id=g) for g in groups[:max_groups]], capped


def listed_posts(
    store: Store, source: Source, before_id: int | None, limit: int, after_id: int | None = None
) -> tuple[list[Post], bool]:
    """Up to limit live posts of one source older than before_id, newest first (given after_id, the oldest
    limit of those above it), of every organization, and whether it may have more past them (the store
    gave limit). Whoever filters them must know how far the listing reached (feed/read/deep.py)."""
    above = {} if after_id is None else {"after_id": after_id}  # older pages call as before after_id was added
    if source.group_id:
        found = store.posts.list_group_posts(source.group_id, before_id, limit, **above)
    else:
        found = store.posts.list_author_posts(source.author_id, before_id, limit, **above)
    return found, len(found) >= limit


def source_posts(
    store: Store, source: Source, before_id: int | None, limit: int, org_id: int = 0
) -> tuple[list[Post], bool]:
    """Up to limit live posts of one source older than before_id, newest first, and whether it may have
    older ones (the store gave limit). Only those shown in org_id: a followee who signed in to another
    organization keeps the edge but gives no posts here (feed/access/orgs.py)."""
    found, more = listed_posts(store, source, before_id, limit)
    return (found if source.group_id else [p for p in found if p.org_id == org_id]), more


def newest_post_ids(
    store: Store, user_id: int, limit: int, deadline: float = float("inf"), org_id: int = 0
) -> tuple[list[int], bool]:
    """The newest `limit` post ids of the user's timeline in org_id, and whether that is all of it.

    Raises RebuildAbandoned once time.monotonic() passes deadline."""
    sources, capped = home_sources(store, user_id, MAX_AUTHORS, MAX_GROUPS)
    per_source: list[list[int]] = []
    originals: dict[int, int] = {}  # repost id -> original id, of the followed authors' reposts
    for source in sources:
        _check(deadline)
        found, more = source_posts(store, source, None, limit, org_id)
        capped = capped or more  # such a source may have older posts
        per_source.append([p.post_id for p in found])
        if source.author_id:
            reposts = [r for r in store.reposts.list_user_reposts(source.author_id, None, limit) if r.org_id == org_id]
            capped = capped or len(reposts) >= limit
            originals.update((r.repost_id, r.post_id) for r in reposts)
            per_source.append([r.repost_id for r in reposts])
    merged = list(itertools.islice(once_each(heapq.merge(*per_source, reverse=True), originals), limit + 1))
    complete = not capped and len(merged) <= limit
    return merged[:limit], complete


def once_each(ids: Iterable[int], originals: dict[int, int]) -> Iterator[int]:
    """Ids newest first, each post once: a repost (originals names its post) or a post already met through a
    newer entry is skipped (docs/reposts.md), and an id met twice (an author followed twice over) too."""
    met: set[int] = set()
    for entry in ids:
        post_id = originals.get(entry, entry)
        if post_id not in met and entry not in met:
            met.update((post_id, entry))
            yield entry


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise RebuildAbandoned("deadline")


def rebuild_home_timeline(
    store: Store, timelines: TimelineStore, user_id: int, org_id: int = 0, deadline_s: float = REBUILD_DEADLINE_S
) -> bool:
    """Rebuild one timeline if it is missing; False if it exists or another caller has it.

    Raises RebuildAbandoned when it gave up (deadline) or its claim was lost: nothing written."""
    token = timelines.begin_rebuild(user_id, org_id)
    if not token:
        return False
    try:
        ids, complete = newest_post_ids(store, user_id, timelines.max_entries, time.monotonic() + deadline_s, org_id)
        if timelines.finish_rebuild(user_id, ids, complete, org_id, token=token) is None:
            raise RebuildAbandoned("claim_lost")
    except BaseException:
        # Release our claim (only ours: should it have expired, another reader may hold a newer one),
        # so the next reader can try again.
        timelines.abandon_rebuild(user_id, token, org_id)
        raise
    log.info("rebuilt home timeline", extra={"user_id": user_id, "entries": len(ids)})
    return True
