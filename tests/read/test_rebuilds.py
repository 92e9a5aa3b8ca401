"""Rebuilds of missing home timelines as a reader meets them: off the RPC thread, once per user, bounded in
time, and never installing a list that lost posts fanned out while the store was read."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from feed.errors import Unavailable
from feed.read.rebuilds import RebuildQueue
from tests.read.world import BACKENDS, World, ids, new_user, newest_first, sample, samples, world_on


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    yield from world_on(request, tmp_path)


def on_listing_posts(world: World, monkeypatch, hook) -> None:
    """Call hook(author) each time the store lists an author's posts, after the listing (as a rebuild does)."""
    real = world.store.posts.list_author_posts

    def listing(author_id, before_id, limit):
        found = real(author_id, before_id, limit)
        hook(author_id)
        return found

    monkeypatch.setattr(world.store.posts, "list_author_posts", listing)


def test_a_post_fanned_out_after_the_rebuild_mark_expired_is_not_lost(world, monkeypatch):
    author, reader = new_user(), new_user()
    world.store.graph.follow(reader, author)
    before = world.post(author)
    late = []

    def mark_expires_then_a_post_is_fanned_out(author_id: int) -> None:
        if author_id == author and not late:
            world.timelines.drop(reader)  # the building mark's TTL ran out while the store was read
            late.append(world.post(author))
            assert world.timelines.push([(reader, late[0].post_id)]) == 0  # fan-out skips the missing list

    on_listing_posts(world, monkeypatch, mark_expires_then_a_post_is_fanned_out)
    assert ids(world.home.read(reader, None, 10).posts) == newest_first(before, late[0])
    assert world.timelines.page(reader, None, 10).ids == newest_first(before, late[0])


def test_the_rebuild_runs_off_the_reading_thread_and_concurrent_readers_share_it(world, monkeypatch):
    author, reader = new_user(), new_user()
    world.store.graph.follow(reader, author)
    posts = [world.post(author) for _ in range(3)]
    readers = 6
    asked, everyone_asked = set(), threading.Event()
    queue = world.home._sources.rebuilds

    def counted(ask):
        def asking(user_id: int, org_id: int = 0):
            rebuild = ask(user_id, org_id)  # a reader asking for the rebuild, or for the one running
            asked.add(threading.current_thread().name)  # after asking: the gate opens once all hold the rebuild
            if len(asked) == readers:
                everyone_asked.set()
            return rebuild

        return asking

    rebuilding_threads = []

    def held_until_every_reader_asked(author_id: int) -> None:
        rebuilding_threads.append(threading.current_thread().name)
        assert everyone_asked.wait(10)

    monkeypatch.setattr(queue, "request", counted(queue.request))
    monkeypatch.setattr(queue, "in_flight", counted(queue.in_flight))
    on_listing_posts(world, monkeypatch, held_until_every_reader_asked)
    started = samples("feed_timeline_rebuilds_started_total")
    with ThreadPoolExecutor(readers, thread_name_prefix="rpc") as pool:
        pages = list(pool.map(lambda _: ids(world.home.read(reader, None, 10).posts), range(readers)))
    assert pages == [newest_first(*posts)] * readers
    assert samples("feed_timeline_rebuilds_started_total") - started == 1
    assert rebuilding_threads and all(name.startswith("rebuild") for name in rebuilding_threads)


def test_a_rebuild_past_its_deadline_gives_up_and_frees_the_timeline_for_the_next_read(world):
    author, reader = new_user(), new_user()
    world.store.graph.follow(reader, author)
    post = world.post(author)
    world.home._sources.rebuilds = RebuildQueue(world.store, world.timelines, deadline_s=-1.0)  # always late
    gave_up = sample("feed_timeline_rebuild_failures_total", reason="deadline")
    with pytest.raises(Unavailable):
        world.home.read(reader, None, 10)
    assert sample("feed_timeline_rebuild_failures_total", reason="deadline") == gave_up + 1
    assert world.timelines.page(reader, None, 10).state == "missing"  # the claim was released
    world.home._sources.rebuilds = RebuildQueue(world.store, world.timelines)
    assert ids(world.home.read(reader, None, 10).posts) == [post.post_id]


def test_a_read_finding_too_many_rebuilds_in_flight_answers_unavailable_without_starting_one(world):
    reader = new_user()
    world.home._sources.rebuilds = RebuildQueue(world.store, world.timelines, max_in_flight=0)
    full = sample("feed_timeline_rebuild_failures_total", reason="queue_full")
    with pytest.raises(Unavailable):
        world.home.read(reader, None, 10)
    assert sample("feed_timeline_rebuild_failures_total", reason="queue_full") == full + 1
    assert world.timelines.page(reader, None, 10).state == "missing"
