"""The read path as small stages: source -> hydrate -> filter -> page.

Each stage is one function with one job, named so its name can serve as a
metric label. Sources give ids newest first below a cursor; hydration turns
them into posts; filters drop what must not be shown; paging cuts the page and
the cursor of the next one.
"""

from __future__ import annotations

import dataclasses
import time

from feed import metrics
from feed.domain import Post
from feed.errors import Unavailable
from feed.hydrate import Hydrator
from feed.rebuild import rebuild_home_timeline
from feed.store.base import Store
from feed.timelines import RedisTimelineStore, TimelinePage

MAX_ROUNDS = 5  # source reads per page when filters keep dropping posts
REBUILD_WAIT_S = 5.0  # how long a reader waits for another reader's rebuild
REBUILD_POLL_S = 0.02


@dataclasses.dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    next_cursor: int | None  # page below this id next; None when nothing older is left


def drop_missing(ids: list[int], posts: dict[int, Post]) -> tuple[list[Post], int]:
    """Filter: keep ids that hydrated (deleted or unknown posts have no entry); report kept, removed."""
    kept = [posts[i] for i in ids if i in posts]
    return kept, len(ids) - len(kept)


class HomeTimelineReader:
    """Assembles home timeline pages from Redis, rebuilding missing timelines from the store."""

    def __init__(self, store: Store, timelines: RedisTimelineStore, hydrator: Hydrator) -> None:
        self._store = store
        self._timelines = timelines
        self._hydrator = hydrator

    def source(self, user_id: int, before_id: int | None, count: int) -> TimelinePage:
        """Stage: ids from the user's timeline, rebuilding it first if Redis lost it."""
        deadline = time.monotonic() + REBUILD_WAIT_S
        while True:
            page = self._timelines.page(user_id, before_id, count)
            if page.state == "ready":
                return page
            if page.state == "missing" and rebuild_home_timeline(self._store, self._timelines, user_id):
                metrics.TIMELINE_REBUILDS.inc()
                continue
            if time.monotonic() > deadline:
                raise Unavailable("the timeline is being rebuilt; retry shortly")
            time.sleep(REBUILD_POLL_S)

    def read(self, user_id: int, before_id: int | None, page_size: int) -> FeedPage:
        """One page of at most page_size posts older than before_id."""
        out: list[Post] = []
        cursor = before_id
        for _ in range(MAX_ROUNDS):
            want = page_size - len(out)
            page = self.source(user_id, cursor, want + 1)  # one extra tells whether more remain
            kept, _removed = drop_missing(page.ids, self._hydrator.hydrate(page.ids))
            if len(kept) > want:
                out += kept[:want]
                return FeedPage(out, out[-1].post_id)
            out += kept
            if not page.more or not page.ids:
                return FeedPage(out, None)  # every remaining id was read
            cursor = page.ids[-1]
            if len(out) == page_size:
                return FeedPage(out, out[-1].post_id)
        return FeedPage(out, cursor)  # filters dropped a long run: let the client continue


class UserTimelineReader:
    """An author's own posts, newest first, straight from the durable store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, author_id: int, before_id: int | None, page_size: int) -> FeedPage:
        posts = self._store.posts.list_author_posts(author_id, before_id, page_size + 1)
        if len(posts) > page_size:
            return FeedPage(posts[:page_size], posts[page_size - 1].post_id)
        return FeedPage(posts, None)
