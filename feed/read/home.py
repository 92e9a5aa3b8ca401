"""The read path as small stages: sources -> merge -> hydrate -> filter -> page.

Each stage is one function with one job, named so its name can serve as a
metric label. Sources give ids newest first below a cursor (the user's home
timeline, and the lists of the read-time sources the reader follows: fan-out on read);
hydration turns ids into posts; filters are pure functions over facts fetched
beforehand and drop what must not be shown (deleted posts, authors the user no
longer follows or has blocked, posts of groups the user is not a member of, and
anything of another organization) even while the workers are still catching up;
paging cuts the page and the cursor of the next one. Large groups the reader is
a member of are read-time sources like authors with very many followers.

Round trips of a page in the common case (the reader follows no read-time source):
one to Redis for the timeline ids and the source directory (pipelined), one
to Redis for hydration, one store query for the follow guard, which also tells
which read-time sources the reader follows. Following one adds one round trip
for their lists (and one to hydrate what they contribute).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import time
from collections.abc import Iterable

from feed.domain import Post, Source
from feed.errors import Unavailable
from feed.read.hydrate import Hydrator
from feed.store.base import Store
from feed.telemetry import metrics
from feed.timeline.page import TimelinePage
from feed.timeline.rebuild import rebuild_home_timeline
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import RedisTimelineStore, page_with_sources

MAX_ROUNDS = 5  # source reads per page when filters keep dropping posts
REBUILD_WAIT_S = 5.0  # how long a reader waits for another reader's rebuild
REBUILD_POLL_S = 0.02


@dataclasses.dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    next_cursor: int | None  # page below this id next; None when nothing older is left


@dataclasses.dataclass(frozen=True)
class Candidates:
    """Ids from every source below one cursor, merged newest first."""

    ids: list[int]
    more: bool  # some source has ids older than the last one here


def merge_sources(pages: list[TimelinePage], count: int) -> Candidates:
    """Stage: merge sorted id lists without duplicates; keep the newest count."""
    if len(pages) == 1:  # the common case: no followed read-time source, nothing to merge
        return Candidates(pages[0].ids[:count], len(pages[0].ids) > count or pages[0].more)
    merged = [k for k, _ in itertools.groupby(heapq.merge(*(p.ids for p in pages), reverse=True))]
    return Candidates(merged[:count], len(merged) > count or any(p.more for p in pages))


def drop_missing(ids: list[int], posts: dict[int, Post]) -> list[Post]:
    """Filter: keep ids that hydrated (deleted or unknown posts have no entry)."""
    return [posts[i] for i in ids if i in posts]


def drop_unseen(posts: list[Post], reader_id: int, org_id: int, guard: FollowGuard) -> list[Post]:
    """Filter: keep what the reader may see now, of their own organization: posts to followers of
    the reader or of authors they follow, and posts of groups they are a member of by authors
    they have not blocked."""
    return [
        p
        for p in posts
        if p.org_id == org_id
        and (
            (p.author_id == reader_id or p.author_id in guard.followed)
            if p.group_id == 0
            else (p.group_id in guard.groups and p.author_id not in guard.blocked)
        )
    ]


class HomeTimelineReader:
    """Assembles home timeline pages, rebuilding missing timelines from the store."""

    def __init__(
        self, store: Store, timelines: RedisTimelineStore, read_time: ReadTimeSources, hydrator: Hydrator
    ) -> None:
        self._store = store
        self._timelines = timelines
        self._read_time = read_time
        self._hydrator = hydrator

    def home_source(self, user_id: int, before_id: int | None, count: int, org_id: int = 0) -> TimelinePage:
        """Source: ids from the user's timeline, rebuilding it first if Redis lost it."""
        deadline = time.monotonic() + REBUILD_WAIT_S
        while True:
            page = self._timelines.page(user_id, before_id, count, org_id)
            if page.state == "ready":
                return page
            if page.state == "missing" and rebuild_home_timeline(self._store, self._timelines, user_id, org_id):
                metrics.TIMELINE_REBUILDS.inc()
                continue
            if time.monotonic() > deadline:
                raise Unavailable("the timeline is being rebuilt; retry shortly")
            time.sleep(REBUILD_POLL_S)

    def sources(
        self, user_id: int, before_id: int | None, count: int, org_id: int = 0
    ) -> tuple[TimelinePage, frozenset[Source]]:
        """Source: the user's timeline page and the organization's read-time sources, in one round trip."""
        page, sources = page_with_sources(self._timelines, self._read_time, user_id, before_id, count, org_id)
        if page.state != "ready":
            page = self.home_source(user_id, before_id, count, org_id)
        return page, sources

    def read(self, user_id: int, before_id: int | None, page_size: int, org_id: int = 0) -> FeedPage:
        """One page of at most page_size posts older than before_id."""
        guard = FollowGuard(self._store, user_id)
        out: list[Post] = []
        cursor = before_id
        for _ in range(MAX_ROUNDS):
            want = page_size - len(out)
            home, sources = self.sources(user_id, cursor, want + 1, org_id)  # one extra tells whether more remain
            posts = self._hydrator.hydrate(home.ids)
            guard.learn(posts.values(), sources)
            pages = [home]
            readable = sorted(s for s in sources if guard.reads(s))
            if readable:
                pages += self._read_time.pages(readable, cursor, want + 1, org_id)
            candidates = merge_sources(pages, want + 1)
            unhydrated = [i for i in candidates.ids if i not in posts]
            if unhydrated:
                posts.update(self._hydrator.hydrate(unhydrated))
                guard.learn([posts[i] for i in unhydrated if i in posts])
            kept = drop_unseen(drop_missing(candidates.ids, posts), user_id, org_id, guard)
            if len(kept) > want:
                out += kept[:want]
                return FeedPage(out, out[-1].post_id)
            out += kept
            if not candidates.more or not candidates.ids:
                return FeedPage(out, None)  # every remaining id was read
            # A full page still peeks (want = 0: one id) for a post the reader may see, so that
            # posts hidden for good (a blocked author's group posts) never end a walk with an
            # empty page.
            cursor = candidates.ids[-1]
        return FeedPage(out, cursor)  # filters dropped a long run: let the client continue


class FollowGuard:
    """Which authors one reader follows now, asked of the store once per author per page read.

    The store is asked, never a cache: an unfollow or block must hide the author
    from the very next read, whatever the workers have applied.
    """

    def __init__(self, store: Store, reader_id: int) -> None:
        self._store = store
        self._reader = reader_id
        self._asked: set[int] = {reader_id}  # the reader's own posts are always shown
        self.followed: set[int] = set()
        self._groups_asked: set[int] = set()
        self.groups: set[int] = set()  # groups the reader is a member of, among those asked about
        self._blocks_asked: set[int] = {reader_id}
        self.blocked: set[int] = set()  # authors the reader has blocked, among those of group posts

    def learn(self, posts: Iterable[Post], sources: frozenset[Source] = frozenset()) -> None:
        """Learn what filtering these posts and merging these read-time sources needs: at most
        one store query per kind of fact, and none for facts already known."""
        authors = {s.author_id for s in sources if s.author_id}
        groups = {s.group_id for s in sources if s.group_id}
        group_authors: set[int] = set()
        for post in posts:
            if post.group_id:
                groups.add(post.group_id)
                group_authors.add(post.author_id)
            else:
                authors.add(post.author_id)
        self.check(authors)
        new_groups = groups - self._groups_asked
        if new_groups:
            self.groups |= self._store.orgs.groups_among(self._reader, new_groups)
            self._groups_asked |= new_groups
        new_authors = group_authors - self._blocks_asked
        if new_authors:
            self.blocked |= self._store.graph.blocked_among(self._reader, new_authors)
            self._blocks_asked |= new_authors

    def reads(self, source: Source) -> bool:
        """Whether the reader's home timeline merges this read-time source: a followed author, or a
        group the reader is a member of (learned before)."""
        return source.group_id in self.groups if source.group_id else source.author_id in self.followed

    def check(self, authors: set[int] | frozenset[int]) -> None:
        """Learn whether the reader follows each of these authors (one store query for the new ones)."""
        new = set(authors) - self._asked
        if new:
            self.followed |= self._store.graph.following_among(self._reader, new)
            self._asked |= new


class GroupTimelineReader:
    """A group's posts, newest first, straight from the durable store, without authors the reader blocked."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, group_id: int, reader_id: int, before_id: int | None, page_size: int) -> FeedPage:
        cursor = before_id
        out: list[Post] = []
        for _ in range(MAX_ROUNDS):
            want = page_size - len(out)
            posts = self._store.posts.list_group_posts(group_id, cursor, want + 1)  # one extra: more remain?
            blocked = self._store.graph.blocked_among(reader_id, {p.author_id for p in posts})
            kept = [p for p in posts if p.author_id not in blocked]
            if len(kept) > want:  # a full page, and a post the reader may see after it
                out += kept[:want]
                return FeedPage(out, out[-1].post_id)
            out += kept
            if len(posts) <= want:
                return FeedPage(out, None)
            cursor = posts[-1].post_id  # a full page peeks on: a blocked author's run must not end a walk
        return FeedPage(out, cursor)  # blocked authors filled a long run: let the client continue


class UserTimelineReader:
    """An author's own posts, newest first, straight from the durable store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, author_id: int, before_id: int | None, page_size: int) -> FeedPage:
        posts = self._store.posts.list_author_posts(author_id, before_id, page_size + 1)
        if len(posts) > page_size:
            return FeedPage(posts[:page_size], posts[page_size - 1].post_id)
        return FeedPage(posts, None)
