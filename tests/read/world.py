"""A read path over a real SQLite store and either a real redis-server or the in-memory doubles of the
timeline stores and the post cache, with helpers that write straight to both.

Writes go to the store (the truth) and, where a test needs it, to Redis as the
fan-out workers would; no worker runs, so a test decides exactly what Redis holds.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from feed.domain import OPEN, REGULAR, Group, Post, Source
from feed.ids import IdGenerator
from feed.read.group import GroupTimelineReader
from feed.read.guard_cache import GuardCache
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.read.page import FeedPage
from feed.read.user import UserTimelineReader
from feed.redis.connection import RedisFunctions
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.redis.in_memory import InMemoryPostCache
from tests.timeline.in_memory import InMemoryReadTimeSources, InMemoryTimelineStore

TIMELINE_MAX = 800
CACHE_TTL_S = 600
_ids = IdGenerator(node=7)
_users = itertools.count(1000)
_create_ms = itertools.count(1_700_000_000_000)


def new_user() -> int:
    return next(_users)


class World:
    """The home, group and user readers wired as the read service wires them."""

    def __init__(self, functions: RedisFunctions | None, tmp_path: Path, guards: GuardCache | None = None) -> None:
        """On Redis through functions; on the in-memory doubles when functions is None; guards: the home
        reader's cache of guard facts (none: the store is asked on every page)."""
        self.store = open_store(f"sqlite:///{tmp_path / 'feed.db'}")
        self.functions = functions
        if functions is None:
            self.timelines = InMemoryTimelineStore(TIMELINE_MAX)
            self.read_time = InMemoryReadTimeSources(TIMELINE_MAX)
            self.cache = InMemoryPostCache(CACHE_TTL_S)
        else:
            self.timelines = RedisTimelineStore(functions, TIMELINE_MAX)
            self.read_time = RedisReadTimeSources(functions, TIMELINE_MAX)
            self.cache = RedisPostCache(functions.client, CACHE_TTL_S)
        hydrator = Hydrator(self.cache, self.store.posts)
        self.home = HomeTimelineReader(self.store, self.timelines, self.read_time, hydrator, guards=guards)
        self.groups = GroupTimelineReader(self.store)
        self.users = UserTimelineReader(self.store)

    def post(self, author: int, text: str = "hello", group: int = 0, org: int = 0) -> Post:
        """A post in the store only (as after CreatePost, before any worker applied it)."""
        post = Post(_ids.next_id(), author, text, next(_create_ms), group_id=group, org_id=org)
        self.store.posts.create_post(post)
        return post

    def materialize(self, user: int, org: int = 0) -> None:
        """An empty, complete home timeline in Redis, as after a rebuild of a user with no posts to see."""
        assert self.timelines.begin_rebuild(user, org)
        self.timelines.finish_rebuild(user, [], True, org)

    def deliver(self, user: int, *posts: Post, org: int = 0) -> None:
        """Push posts into a user's home timeline, as a fan-out worker would."""
        assert self.timelines.push([(user, p.post_id) for p in posts], org) == len(posts)

    def post_read_time(self, author: int, text: str = "loud", org: int = 0) -> Post:
        """A post of an author above the fan-out threshold: stored, and listed in the author's read-time list."""
        post = self.post(author, text, org=org)
        self.read_time.push([(Source(author_id=author), post.post_id)], org)
        return post

    def group(self, *members: int, org: int = 0) -> int:
        group_id = _ids.next_id()
        self.store.orgs.create_group(Group(group_id, org, f"g{group_id}", OPEN, REGULAR, members[0], next(_create_ms)))
        for member in members:
            self.store.orgs.add_member(group_id, member)
        return group_id

    def walk_home(self, user: int, page_size: int, org: int = 0) -> list[FeedPage]:
        """Every page of a home timeline, following next cursors to the end."""
        pages = [self.home.read(user, None, page_size, org)]
        while pages[-1].next_cursor is not None:
            assert len(pages) < 100, "paging did not end"
            pages.append(self.home.read(user, pages[-1].next_cursor, page_size, org))
        return pages


def ids(posts) -> list[int]:
    return [p.post_id for p in posts]


def newest_first(*posts: Post) -> list[int]:
    return sorted((p.post_id for p in posts), reverse=True)


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 for a series not yet created)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(name: str) -> float:
    """The sum of every series of a metric in this process."""
    return sum(s.value for m in REGISTRY.collect() for s in m.samples if s.name == name)


def world_on(request, tmp_path: Path):
    """A World on the backend a fixture's param names: "in_memory" or "redis" (an emptied redis-server)."""
    functions = request.getfixturevalue("functions") if request.param == "redis" else None
    world = World(functions, tmp_path)
    yield world
    world.store.close()


BACKENDS = ["in_memory", pytest.param("redis", marks=pytest.mark.integration)]


def wired_world(functions: RedisFunctions, tmp_path: Path):
    """A World on Redis whose home reader is wired as the read service wires it: reposts hydrate to their
    originals, and readers' guard facts are kept between pages. A fixture's body: yields it, then closes."""
    world = World(functions, tmp_path, guards=GuardCache())
    hydrator = Hydrator(world.cache, world.store.posts, world.store.reposts)
    world.home = HomeTimelineReader(world.store, world.timelines, world.read_time, hydrator, guards=GuardCache())
    yield world
    world.store.close()
