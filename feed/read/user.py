"""The user timeline reader: an author's own posts and reposts, newest first, from the durable store.

Stages: block check -> source (the store's list of the author's posts) -> page; no filter, so one
round. The caller's organization is checked at the edge before.
"""

from __future__ import annotations

import dataclasses

from feed.domain import Post
from feed.errors import PermissionDenied
from feed.read.page import FeedPage
from feed.store.base import GraphStore, Store
from feed.store.reposts import Repost


def refuse_if_blocked(graph: GraphStore, author_id: int, reader_id: int) -> None:
    """PermissionDenied when a block stands between an author and a reader, either way: blocks hide
    both ways, so neither reads the other's posts (GetUserTimeline, GetPost)."""
    if graph.is_blocked(author_id, reader_id):
        raise PermissionDenied("this user has blocked you")
    if graph.is_blocked(reader_id, author_id):
        raise PermissionDenied("you have blocked this user; unblock them to read their posts")


class UserTimelineReader:
    """An author's own posts and reposts, newest first, straight from the durable store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, author_id: int, reader_id: int, before_id: int | None, page_size: int) -> FeedPage:
        refuse_if_blocked(self._store.graph, author_id, reader_id)
        posts = self._store.posts.list_author_posts(author_id, before_id, page_size + 1)  # one extra: more remain?
        reposts = self._store.reposts.list_user_reposts(author_id, before_id, page_size + 1)
        if reposts:
            posts = sorted([*posts, *self._originals(reposts, reader_id)], key=lambda p: -p.post_id)
            # The cursor stays on the entries listed, even where a repost's original is hidden.
            entries = sorted([*(p.post_id for p in posts), *(r.repost_id for r in reposts)], reverse=True)
            entries = list(dict.fromkeys(entries))
            page = entries[:page_size]
            shown = [p for p in posts if page and p.post_id >= page[-1]]
            return FeedPage(shown, page[-1] if len(entries) > page_size else None)
        if len(posts) > page_size:
            return FeedPage(posts[:page_size], posts[page_size - 1].post_id)
        return FeedPage(posts, None)

    def _originals(self, reposts: list[Repost], reader_id: int) -> list[Post]:
        """The reposts as their originals (reposted_by set), of those the reader may see: live, of no author
        with a block between them and the reader, of no group the reader is not in (docs/reposts.md)."""
        originals = self._store.posts.get_posts({r.post_id for r in reposts})
        authors = {p.author_id for p in originals.values()}
        blocked = self._store.graph.blocked_either_way_among(reader_id, authors) if authors else set()
        groups = {p.group_id for p in originals.values() if p.group_id}
        member = self._store.orgs.groups_among(reader_id, groups) if groups else set()
        counts = self._store.reposts.count_reposts(originals)
        shown = []
        for r in reposts:
            o = originals.get(r.post_id)
            if o is None or o.author_id in blocked or (o.group_id and o.group_id not in member):
                continue
            shown.append(
                dataclasses.replace(
                    o,
                    post_id=r.repost_id,
                    repost_of=o.post_id,
                    reposted_by=r.reposter_id,
                    repost_count=counts.get(o.post_id, 0),
                )
            )
        return shown
