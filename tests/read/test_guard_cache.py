"""A reader's guard facts kept between pages: no store query for what was checked already, and every
unfollow, block, leave (through the write use cases) still hides the author or group from the very next page.

On a real redis-server and SQLite store; the write use cases are wired as the write service wires them,
and no worker runs: Redis keeps the posts an unfollow, a block or a leave made unwanted.
"""

from __future__ import annotations

import pytest

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RedisRelationshipVersions
from feed.actions.graph import GraphActions
from feed.actions.groups import GroupActions
from feed.actions.sink import EventSink
from feed.domain import OPEN
from feed.ids import IdGenerator
from feed.read.guard_cache import GuardCache
from tests.read.world import World, ids, new_user, newest_first

pytestmark = pytest.mark.integration
NOW_MS = 1_760_000_000_000


class Writes:
    """Follow, Unfollow, Block, CreateGroup, JoinGroup, LeaveGroup over the world's store and Redis."""

    def __init__(self, world: World) -> None:
        self.orgs = OrgDirectory(world.store.orgs)
        limiter = RedisRateLimiter(world.functions.client, 1000, 1000)
        sink = EventSink(lambda: NOW_MS)
        versions = RedisRelationshipVersions(world.functions)
        self.graph = GraphActions(world.store.graph, self.orgs, limiter, sink, versions)
        access = GroupAccess(world.store.orgs)
        self.groups = GroupActions(
            world.store.orgs,
            world.store.graph,
            access,
            self.orgs,
            limiter,
            sink,
            IdGenerator(),
            lambda: NOW_MS,
            versions=versions,
        )

    def user(self) -> Principal:
        principal = Principal(new_user(), 0)
        self.orgs.bind(principal)
        return principal

    def follow(self, follower: Principal, *followees: Principal) -> None:
        for followee in followees:
            self.graph.follow(follower, follower.user_id, followee.user_id)

    def group_of(self, owner: Principal, *members: Principal) -> int:
        group = self.groups.create(owner, owner.user_id, "g", OPEN).group_id
        for member in members:
            self.groups.join(member, group, member.user_id)
        return group


class StoreQuestions:
    """The ids the follow guard asks the store about, in every relationship query."""

    def __init__(self, world: World, monkeypatch) -> None:
        self.asked: list[int] = []
        graph, orgs = world.store.graph, world.store.orgs
        for holder, name in ((graph, "following_among"), (orgs, "groups_among"), (graph, "blocked_either_way_among")):
            monkeypatch.setattr(holder, name, self._counting(getattr(holder, name)))

    def _counting(self, query):
        def counted(user_id, candidates):
            candidates = sorted(candidates)
            self.asked += candidates
            return query(user_id, candidates)

        return counted


@pytest.fixture
def world(functions, tmp_path):
    world = World(functions, tmp_path, guards=GuardCache())
    yield world
    world.store.close()


@pytest.fixture
def writes(world):
    return Writes(world)


def home(world: World, reader: Principal) -> list[int]:
    return ids(world.home.read(reader.user_id, None, 20).posts)


def test_a_second_page_of_the_same_reader_asks_the_store_nothing_about_authors_already_checked(
    world, writes, monkeypatch
):
    reader, friend, stranger = writes.user(), writes.user(), writes.user()
    writes.follow(reader, friend)
    world.materialize(reader.user_id)
    posts = [world.post(friend.user_id) for _ in range(3)]
    world.deliver(reader.user_id, *posts)
    questions = StoreQuestions(world, monkeypatch)
    assert home(world, reader) == newest_first(*posts)
    assert friend.user_id in questions.asked
    questions.asked.clear()
    assert home(world, reader) == newest_first(*posts)
    assert questions.asked == []
    world.deliver(reader.user_id, world.post(stranger.user_id))  # an author not checked yet, not followed
    assert home(world, reader) == newest_first(*posts)
    assert questions.asked == [stranger.user_id]  # that author alone


def test_an_unfollow_between_two_pages_hides_the_author_on_the_very_next_page(world, writes):
    reader, friend, other = writes.user(), writes.user(), writes.user()
    writes.follow(reader, friend, other)
    world.materialize(reader.user_id)
    kept, dropped = world.post(other.user_id), world.post(friend.user_id)
    world.deliver(reader.user_id, kept, dropped)
    assert home(world, reader) == newest_first(kept, dropped)
    writes.graph.unfollow(reader, reader.user_id, friend.user_id)  # no worker removes their post
    assert home(world, reader) == [kept.post_id]


@pytest.mark.parametrize("who_blocks", ["reader", "author"])
def test_a_block_either_way_between_two_pages_hides_the_author_and_their_group_posts(world, writes, who_blocks):
    reader, author, other = writes.user(), writes.user(), writes.user()
    writes.follow(reader, author, other)
    group = writes.group_of(other, reader, author)
    world.materialize(reader.user_id)
    kept = world.post(other.user_id)
    theirs, in_group = world.post(author.user_id), world.post(author.user_id, group=group)
    world.deliver(reader.user_id, kept, theirs, in_group)
    assert home(world, reader) == newest_first(kept, theirs, in_group)
    blocker, blocked = (reader, author) if who_blocks == "reader" else (author, reader)
    writes.graph.block(blocker, blocker.user_id, blocked.user_id)
    assert home(world, reader) == [kept.post_id]


def test_leaving_a_group_between_two_pages_hides_its_posts_on_the_very_next_page(world, writes):
    reader, author = writes.user(), writes.user()
    writes.follow(reader, author)
    group = writes.group_of(author, reader)
    world.materialize(reader.user_id)
    kept, in_group = world.post(author.user_id), world.post(author.user_id, group=group)
    world.deliver(reader.user_id, kept, in_group)
    assert home(world, reader) == newest_first(kept, in_group)
    writes.groups.leave(reader, group, reader.user_id)
    assert home(world, reader) == [kept.post_id]


def test_an_unfollow_racing_a_page_is_not_missed_by_the_next_page(world, writes, monkeypatch):
    reader, friend = writes.user(), writes.user()
    writes.follow(reader, friend)
    world.materialize(reader.user_id)
    post = world.post(friend.user_id)
    world.deliver(reader.user_id, post)
    store_answer = world.store.graph.following_among

    def answered_then_unfollowed(user_id, candidates):
        answer = store_answer(user_id, candidates)
        monkeypatch.setattr(world.store.graph, "following_among", store_answer)  # once
        writes.graph.unfollow(reader, reader.user_id, friend.user_id)  # after the page read the version
        return answer

    monkeypatch.setattr(world.store.graph, "following_among", answered_then_unfollowed)
    assert home(world, reader) == [post.post_id]  # the unfollow had not answered when the store was asked
    assert home(world, reader) == []


def test_a_flushed_redis_lets_no_stale_fact_through(world, writes, monkeypatch):
    reader, friend = writes.user(), writes.user()
    writes.follow(reader, friend)
    post = world.post(friend.user_id)

    def flushed() -> None:
        """Redis loses everything (the relationship version too); the timeline is put back as it was."""
        world.functions.client.flushall()
        world.materialize(reader.user_id)
        world.deliver(reader.user_id, post)

    flushed()
    assert home(world, reader) == [post.post_id]  # kept under the version set by the follow
    flushed()
    questions = StoreQuestions(world, monkeypatch)
    assert home(world, reader) == [post.post_id]
    assert questions.asked  # no version: the store is asked
    writes.graph.unfollow(reader, reader.user_id, friend.user_id)
    flushed()  # the unfollow's new version is lost with the rest
    assert home(world, reader) == []
