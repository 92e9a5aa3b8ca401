"""The user timeline reader: an author's own posts, newest first, from the durable store.

Stages: block check -> source (the store's list of the author's posts) -> page; no filter, so one
round. The caller's organization is checked at the edge before.
"""

from __future__ import annotations

from feed.errors import PermissionDenied
from feed.read.page import FeedPage
from feed.store.base import GraphStore, Store


def refuse_if_blocked(graph: GraphStore, author_id: int, reader_id: int) -> None:
    """PermissionDenied when a block stands between an author and a reader, either way: blocks hide
    both ways, so neither reads the other's posts (GetUserTimeline, GetPost)."""
    if graph.is_blocked(author_id, reader_id):
        raise PermissionDenied("this user has blocked you")
    if graph.is_blocked(reader_id, author_id):
        raise PermissionDenied("you have blocked this user; unblock them to read their posts")


class UserTimelineReader:
    """An author's own posts, newest first, straight from the durable store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, author_id: int, reader_id: int, before_id: int | None, page_size: int) -> FeedPage:
        refuse_if_blocked(self._store.graph, author_id, reader_id)
        posts = self._store.posts.list_author_posts(author_id, before_id, page_size + 1)  # one extra: more remain?
        if len(posts) > page_size:
            return FeedPage(posts[:page_size], posts[page_size - 1].post_id)
        return FeedPage(posts, None)
