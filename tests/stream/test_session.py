"""One stream's session against in-memory reads and writers: coalescing, bounds, gaps, its end."""

from __future__ import annotations

import asyncio

import pytest

from feed.access.tokens import Unauthenticated
from feed.domain import Post, Source
from feed.errors import Unavailable
from feed.stream import session as session_module
from feed.stream.hub import StreamHub
from feed.stream.reads import Delivery, NewerBatch
from feed.stream.session import MAX_PAGES, Session
from feed.stream.state import MAX_PENDING, StreamState

USER, AUTHOR = 10, 20


class InMemoryNewerReads:
    """A timeline of post ids; a position is the id of the last post sent, as text."""

    def __init__(self, page_size: int = 3) -> None:
        self.ids: list[int] = []
        self.reads = 0
        self.page_size = page_size
        self.checked: list[tuple[int, int, bool]] = []

    def top(self, user_id: int, org_id: int) -> str:
        return str(max(self.ids, default=0))

    def newer(self, user_id: int, org_id: int, token: str) -> NewerBatch:
        self.reads += 1
        fresh = sorted(i for i in self.ids if i > int(token))
        page = fresh[: self.page_size]
        deliveries = [Delivery(Post(i, AUTHOR, "x", 0), str(i)) for i in page]
        return NewerBatch(deliveries, deliveries[-1].token if page else token, len(fresh) > len(page))

    def unreposted(self, user_id, org_id, token, post_id, reposter_id, followed):
        """Still shown while post_id is in the timeline's ids (through itself or another repost)."""
        self.checked.append((post_id, reposter_id, AUTHOR in followed))
        return None if post_id in self.ids else f"{token}-{post_id}"


class InMemoryOut:
    """Records the events sent; while `blocked` is clear, writes wait (flow control)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object, str]] = []
        self.blocked = asyncio.Event()
        self.blocked.set()

    async def post(self, delivery: Delivery) -> None:
        await self.blocked.wait()
        self.sent.append(("post", delivery.post.post_id, delivery.token))

    async def deleted(self, post_id: int, token: str) -> None:
        await self.blocked.wait()
        self.sent.append(("deleted", post_id, token))

    async def gap(self, token: str) -> None:
        self.sent.append(("gap", token, token))


async def run_blocking(fn, *args):
    return fn(*args)


class World:
    """A hub with one registered stream, its session running as a task."""

    def __init__(self, reads: InMemoryNewerReads, now: float = 1000.0, expires_at: float = 10_000.0) -> None:
        self.now = now
        self.hub = StreamHub()
        self.state = StreamState(USER, 0, "", expires_at, now)
        self.hub.open(self.state, [Source(author_id=AUTHOR)])
        self.out = InMemoryOut()
        self.session = Session(self.state, self.hub, reads, run_blocking, self.out, clock=lambda: self.now)

    async def settle(self, check, timeout_s: float = 2.0) -> None:
        """Let the session run until check() holds."""
        async with asyncio.timeout(timeout_s):
            while not check():
                await asyncio.sleep(0)

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.out.sent]


def run(coro):
    return asyncio.run(coro)


def test_many_posts_applied_while_a_read_is_due_cost_one_read_and_arrive_oldest_first():
    async def scenario():
        reads = InMemoryNewerReads(page_size=50)
        world = World(reads)
        task = asyncio.ensure_future(world.session.run(""))
        await world.settle(lambda: world.state.token == "0")
        reads.ids += [101, 102, 103]
        for _ in range(3):
            world.state.notify_post()  # three notifications, one flag
        await world.settle(lambda: len(world.out.sent) == 3)
        task.cancel()
        return reads.reads, world.out.sent

    reads, sent = run(scenario())
    assert reads == 1
    assert sent == [("post", 101, "101"), ("post", 102, "102"), ("post", 103, "103")]


def test_deletions_past_the_bound_become_one_gap_at_the_position_and_the_stream_goes_on_from_the_top():
    async def scenario():
        reads = InMemoryNewerReads()
        reads.ids = [5]
        world = World(reads)
        task = asyncio.ensure_future(world.session.run(""))
        await world.settle(lambda: world.state.token == "5")
        world.out.blocked.clear()  # nothing drains while they pile up
        for post_id in range(MAX_PENDING + 1):
            world.state.notify_deletion(post_id)
        assert world.state.deletions == [] and world.state.gap == "overflow"
        reads.ids.append(9)  # arrived meanwhile: the client re-reads it from the gap's token
        world.out.blocked.set()
        await world.settle(lambda: "gap" in world.kinds() and world.state.token == "9")
        world.state.notify_post()
        reads.ids.append(12)
        world.state.notify_post()
        await world.settle(lambda: ("post", 12, "12") in world.out.sent)
        task.cancel()
        return world.out.sent

    sent = run(scenario())
    assert sent == [("gap", "5", "5"), ("post", 12, "12")]


def test_a_write_blocked_past_the_deadline_makes_the_stream_fall_behind(monkeypatch):
    monkeypatch.setattr(session_module, "WRITE_DEADLINE_S", 0.01)

    async def scenario():
        reads = InMemoryNewerReads()
        world = World(reads)
        task = asyncio.ensure_future(world.session.run(""))
        await world.settle(lambda: world.state.token == "0")
        world.out.blocked.clear()  # the client stops reading
        reads.ids += [1, 2]
        world.state.notify_post()
        await world.settle(lambda: world.state.gap == "slow")
        world.out.blocked.set()  # it reads again: the blocked write lands, then the gap
        await world.settle(lambda: "gap" in world.kinds())
        task.cancel()
        return world.out.sent

    sent = run(scenario())
    assert sent == [("post", 1, "1"), ("gap", "0", "0")]  # the gap's token: before the post not yet confirmed


def test_a_catch_up_longer_than_the_page_bound_sends_a_gap_instead():
    async def scenario():
        reads = InMemoryNewerReads(page_size=1)
        reads.ids = list(range(1, MAX_PAGES + 5))
        world = World(reads)
        task = asyncio.ensure_future(world.session.run("0"))
        await world.settle(lambda: "gap" in world.kinds())
        task.cancel()
        return world.out.sent

    sent = run(scenario())
    assert [kind for kind, _, _ in sent] == ["post"] * MAX_PAGES + ["gap"]
    assert sent[-1][1] == str(MAX_PAGES)


def test_the_stream_ends_unauthenticated_when_its_token_expires_and_unavailable_on_shutdown():
    async def ends(make_it_end) -> Exception:
        world = World(InMemoryNewerReads(), now=1000.0, expires_at=1001.0)
        task = asyncio.ensure_future(world.session.run(""))
        await world.settle(lambda: world.state.token == "0")
        make_it_end(world)
        with pytest.raises(Exception) as err:
            async with asyncio.timeout(2):
                await task
        return err.value

    def expire(world: World) -> None:
        world.now = 1001.0
        world.state.event.set()

    assert isinstance(run(ends(expire)), Unauthenticated)
    assert isinstance(run(ends(lambda world: world.hub.shutdown())), Unavailable)


def test_an_unrepost_is_sent_as_the_originals_deletion_only_when_nothing_else_shows_it():
    async def scenario():
        reads = InMemoryNewerReads()
        reads.ids = [5, 7]  # 7: still shown through another entry
        world = World(reads)
        task = asyncio.ensure_future(world.session.run(""))
        await world.settle(lambda: world.state.token == "7")
        world.state.notify_unrepost(7, AUTHOR)
        world.state.notify_unrepost(3, AUTHOR)
        world.state.notify_deletion(5)
        await world.settle(lambda: len(world.out.sent) == 2)
        task.cancel()
        return reads.checked, world.out.sent, world.state.token

    checked, sent, token = run(scenario())
    assert checked == [(7, AUTHOR, True), (3, AUTHOR, True)]  # asked with the followees the stream watches
    assert sent == [("deleted", 3, "7-3"), ("deleted", 5, "7-3")]  # the position forgot the original
    assert token == "7-3"
