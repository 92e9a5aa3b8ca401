"""Every store call is timed by backend and operation, whatever the interface holds."""

from __future__ import annotations

import inspect
import types

import pytest
from prometheus_client import REGISTRY

from feed.domain import Post
from feed.store import open_store
from feed.store.base import GraphStore, PostStore
from feed.store.instrumented import InstrumentedGraphStore, InstrumentedPostStore, uninstrumented


def timed(operation: str) -> float:
    labels = {"backend": "sqlite", "operation": operation}
    return REGISTRY.get_sample_value("feed_store_operation_duration_seconds_count", labels) or 0.0


@pytest.fixture
def store():
    opened = open_store("sqlite:///:memory:")
    yield opened
    opened.close()


def test_open_store_times_both_halves_and_the_uninstrumented_store_neither(store):
    before = {op: timed(op) for op in ("get_post", "following_among")}
    store.posts.get_post(7)
    store.graph.following_among(1, {2})
    assert {op: timed(op) - before[op] for op in before} == {"get_post": 1, "following_among": 1}
    bare = uninstrumented(store)
    bare.posts.get_post(7)
    bare.graph.following_among(1, {2})
    assert {op: timed(op) - before[op] for op in before} == {"get_post": 1, "following_among": 1}


@pytest.mark.parametrize(
    ("wrapper", "interface"), [(InstrumentedPostStore, PostStore), (InstrumentedGraphStore, GraphStore)]
)
def test_every_public_method_of_the_interface_is_wrapped(wrapper, interface):
    public = {n for n, _ in inspect.getmembers(interface, inspect.isfunction) if not n.startswith("_")}
    assert public <= set(vars(wrapper)) | {"close"}
    assert not wrapper.__abstractmethods__


def test_each_call_is_timed_once_under_its_operation(store):
    before = {op: timed(op) for op in ("create_post", "get_posts", "get_post", "follow")}
    store.posts.create_post(Post(7, 1, "x", 0))
    store.posts.get_post(7)
    store.graph.follow(2, 1)
    assert timed("create_post") == before["create_post"] + 1
    assert timed("get_post") == before["get_post"] + 1
    assert timed("get_posts") == before["get_posts"]  # get_post's inner call is not counted again
    assert timed("follow") == before["follow"] + 1


def test_a_walk_is_timed_once_when_it_ends(store):
    for followee in (2, 3, 4):
        store.graph.follow(1, followee)
    before = timed("iter_following")
    walk = store.graph.iter_following(1, page_size=2)
    assert timed("iter_following") == before  # nothing read yet
    assert sorted(walk) == [2, 3, 4]
    assert timed("iter_following") == before + 1


def test_a_failing_call_is_counted_as_an_error_and_timed_and_still_raises():
    def unreachable(post_ids):
        raise ConnectionError("store down")

    posts = InstrumentedPostStore(types.SimpleNamespace(get_posts=unreachable), "fake")
    labels = {"backend": "fake", "operation": "get_posts"}
    with pytest.raises(ConnectionError):
        posts.get_posts([1])
    assert REGISTRY.get_sample_value("feed_store_operation_errors_total", labels) == 1
    assert REGISTRY.get_sample_value("feed_store_operation_duration_seconds_count", labels) == 1
