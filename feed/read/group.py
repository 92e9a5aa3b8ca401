"""The group timeline reader: a group's posts, newest first, from the durable store.

Stages: source (the store's list of the group's posts) -> filters (authors the
reader blocked, or who blocked the reader; authors and phrases the reader muted
or filters) -> page. The caller's access to the group is checked before
(feed/access/groups.py), so no membership filter runs here.
"""

from __future__ import annotations

from feed.read.filters import GROUP_FILTERS
from feed.read.guard import FollowGuard
from feed.read.merge import Candidates
from feed.read.page import MAX_ROUNDS, FeedPage, PageBuilder
from feed.read.stages import ReadContext, run_filters
from feed.store.base import Store


class GroupTimelineReader:
    """A group's posts, newest first, straight from the durable store, without the authors the reader
    blocked or who blocked the reader."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, group_id: int, reader_id: int, before_id: int | None, page_size: int) -> FeedPage:
        guard = FollowGuard(self._store, reader_id)
        ctx = ReadContext(reader_id, 0, guard.facts)  # org unused: the group's access check covers it
        page = PageBuilder(page_size, before_id)
        guard.learn_quiet()
        for _ in range(MAX_ROUNDS):
            count = page.wanted + 1  # one extra tells whether more remain
            posts = self._store.posts.list_group_posts(group_id, page.cursor, count)
            guard.check_blocks({p.author_id for p in posts})
            candidates = Candidates([p.post_id for p in posts], len(posts) >= count)
            done = page.add(run_filters(GROUP_FILTERS, posts, ctx), candidates)
            if done is not None:
                return done
        return page.unfinished()
