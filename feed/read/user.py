"""The user timeline reader: an author's own posts, newest first, from the durable store.

Stages: source (the store's list of the author's posts) -> page; no filter, so one round. The caller's
right to read them (organization, blocks) is checked at the edge before.
"""

from __future__ import annotations

from feed.read.page import FeedPage
from feed.store.base import Store


class UserTimelineReader:
    """An author's own posts, newest first, straight from the durable store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, author_id: int, before_id: int | None, page_size: int) -> FeedPage:
        posts = self._store.posts.list_author_posts(author_id, before_id, page_size + 1)  # one extra: more remain?
        if len(posts) > page_size:
            return FeedPage(posts[:page_size], posts[page_size - 1].post_id)
        return FeedPage(posts, None)
