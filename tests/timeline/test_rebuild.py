"""newest_post_ids, the store side of a rebuild: what a rebuilt timeline holds, and the bounds on what it reads."""

from __future__ import annotations

import itertools

import pytest

from feed.domain import Post
from feed.ids import IdGenerator
from feed.timeline import rebuild
from feed.timeline.rebuild import RebuildAbandoned, newest_post_ids

_ids = IdGenerator(node=5)
_ms = itertools.count(1_700_000_000_000)


def post(store, author: int) -> int:
    created = Post(_ids.next_id(), author, "x", next(_ms))
    store.posts.create_post(created)
    return created.post_id


def test_a_rebuild_holds_the_newest_posts_of_the_user_and_everyone_they_follow(sqlite_store):
    for author in (2, 3):
        sqlite_store.graph.follow(1, author)
    posts = [post(sqlite_store, a) for a in (1, 2, 3, 4, 2)]  # 4 is not followed
    assert newest_post_ids(sqlite_store, 1, 10) == (sorted(posts[:3] + posts[4:], reverse=True), True)


def test_a_user_following_more_than_max_authors_gets_a_timeline_never_marked_complete(sqlite_store, monkeypatch):
    monkeypatch.setattr(rebuild, "MAX_AUTHORS", 2)
    for author in (2, 3, 4):
        sqlite_store.graph.follow(1, author)
    posts = {a: post(sqlite_store, a) for a in (1, 2, 3, 4)}
    found, complete = newest_post_ids(sqlite_store, 1, 10)
    assert not complete
    assert posts[1] in found and len(found) == 3  # the user and MAX_AUTHORS of the followed authors


def test_a_rebuild_past_its_deadline_gives_up(sqlite_store):
    sqlite_store.graph.follow(1, 2)
    post(sqlite_store, 2)
    with pytest.raises(RebuildAbandoned) as gave_up:
        newest_post_ids(sqlite_store, 1, 10, deadline=0.0)
    assert gave_up.value.reason == "deadline"
