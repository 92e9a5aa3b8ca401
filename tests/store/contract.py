"""The one contract suite for the store interfaces, run against every backend.

A backend's test module subclasses StoreContract and implements make_store();
nothing else. Tests use fresh random ids so they also pass against a shared,
long-lived database such as a real Cassandra keyspace.
"""

from __future__ import annotations

import random
import time

import pytest

from feed.domain import Post
from feed.ids import IdGenerator
from feed.store.base import Store

_ids = IdGenerator()


def new_user() -> int:
    return random.randrange(1, 1 << 62)


def new_post(author_id: int, text: str = "hello") -> Post:
    return Post(post_id=_ids.next_id(), author_id=author_id, text=text, create_time_ms=int(time.time() * 1000))


class StoreContract:
    """Behaviour every Store backend must show."""

    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self):
        store = self.make_store()
        yield store
        store.close()

    # posts

    def test_created_post_is_found_by_id(self, store: Store) -> None:
        post = new_post(new_user(), "first words")
        stored, created = store.posts.create_post(post)
        assert created and stored == post
        assert store.posts.get_post(post.post_id) == post

    def test_unknown_post_is_not_found(self, store: Store) -> None:
        assert store.posts.get_post(_ids.next_id()) is None
        assert store.posts.get_posts([_ids.next_id(), _ids.next_id()]) == {}

    def test_get_posts_returns_only_the_ids_that_exist(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(3)]
        for post in posts:
            store.posts.create_post(post)
        missing = _ids.next_id()
        found = store.posts.get_posts([p.post_id for p in posts] + [missing])
        assert found == {p.post_id: p for p in posts}

    def test_same_idempotency_key_returns_the_first_post_and_stores_nothing_new(self, store: Store) -> None:
        author = new_user()
        first, created = store.posts.create_post(new_post(author, "once"), "key-1")
        again, created_again = store.posts.create_post(new_post(author, "once"), "key-1")
        assert created and not created_again
        assert again == first
        assert [p.post_id for p in store.posts.list_author_posts(author, None, 10)] == [first.post_id]

    def test_idempotency_keys_are_scoped_to_the_author(self, store: Store) -> None:
        a, b = new_user(), new_user()
        pa, _ = store.posts.create_post(new_post(a), "shared-key")
        pb, created = store.posts.create_post(new_post(b), "shared-key")
        assert created and pa.post_id != pb.post_id

    def test_empty_idempotency_key_always_creates(self, store: Store) -> None:
        author = new_user()
        store.posts.create_post(new_post(author), "")
        store.posts.create_post(new_post(author), "")
        assert len(store.posts.list_author_posts(author, None, 10)) == 2

    def test_deleted_post_is_not_found(self, store: Store) -> None:
        post = new_post(new_user())
        store.posts.create_post(post)
        assert store.posts.delete_post(post.post_id) is True
        assert store.posts.get_post(post.post_id) is None
        assert store.posts.list_author_posts(post.author_id, None, 10) == []

    def test_deleting_twice_or_unknown_reports_false(self, store: Store) -> None:
        post = new_post(new_user())
        store.posts.create_post(post)
        store.posts.delete_post(post.post_id)
        assert store.posts.delete_post(post.post_id) is False
        assert store.posts.delete_post(_ids.next_id()) is False

    def test_retry_after_delete_does_not_revive_the_post(self, store: Store) -> None:
        author = new_user()
        post, _ = store.posts.create_post(new_post(author), "k")
        store.posts.delete_post(post.post_id)
        again, created = store.posts.create_post(new_post(author), "k")
        assert not created and again.post_id == post.post_id
        assert store.posts.get_post(post.post_id) is None

    def test_author_posts_are_newest_first_and_page_by_id(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(7)]
        for post in posts:
            store.posts.create_post(post)
        newest_first = [p.post_id for p in reversed(posts)]
        assert [p.post_id for p in store.posts.list_author_posts(author, None, 3)] == newest_first[:3]
        page2 = store.posts.list_author_posts(author, newest_first[2], 3)
        assert [p.post_id for p in page2] == newest_first[3:6]
        assert [p.post_id for p in store.posts.list_author_posts(author, newest_first[5], 3)] == newest_first[6:]

    def test_author_posts_keep_text_and_time(self, store: Store) -> None:
        post = new_post(new_user(), "ünïcode ✓ text")
        store.posts.create_post(post)
        assert store.posts.list_author_posts(post.author_id, None, 1) == [post]

    # graph

    def test_follow_is_visible_both_ways(self, store: Store) -> None:
        a, b = new_user(), new_user()
        assert store.graph.follow(a, b) is True
        assert store.graph.is_following(a, b)
        assert not store.graph.is_following(b, a)
        assert list(store.graph.iter_followers(b)) == [a]
        assert list(store.graph.iter_following(a)) == [b]
        assert store.graph.follower_count(b) == 1

    def test_follow_twice_is_one_edge(self, store: Store) -> None:
        a, b = new_user(), new_user()
        store.graph.follow(a, b)
        assert store.graph.follow(a, b) is False
        assert store.graph.follower_count(b) == 1

    def test_unfollow_removes_the_edge_both_ways(self, store: Store) -> None:
        a, b = new_user(), new_user()
        store.graph.follow(a, b)
        assert store.graph.unfollow(a, b) is True
        assert store.graph.unfollow(a, b) is False
        assert not store.graph.is_following(a, b)
        assert list(store.graph.iter_followers(b)) == []
        assert list(store.graph.iter_following(a)) == []
        assert store.graph.follower_count(b) == 0

    def test_followers_page_through_every_follower_exactly_once(self, store: Store) -> None:
        star = new_user()
        fans = {new_user() for _ in range(23)}
        for fan in fans:
            store.graph.follow(fan, star)
        seen: list[int] = []
        token = None
        for _ in range(100):
            page = store.graph.list_followers(star, 5, token)
            assert len(page.ids) <= 5
            seen.extend(page.ids)
            token = page.next_token
            if token is None:
                break
        assert sorted(seen) == sorted(fans)
        assert store.graph.follower_count(star) == 23

    def test_following_page_through_every_followee_exactly_once(self, store: Store) -> None:
        fan = new_user()
        stars = {new_user() for _ in range(11)}
        for star in stars:
            store.graph.follow(fan, star)
        pages = []
        token = None
        for _ in range(100):
            page = store.graph.list_following(fan, 4, token)
            pages.append(page.ids)
            token = page.next_token
            if token is None:
                break
        assert sorted(i for ids in pages for i in ids) == sorted(stars)
        assert all(len(ids) <= 4 for ids in pages)

    def test_following_among_answers_which_candidates_are_followed(self, store: Store) -> None:
        fan = new_user()
        followed = [new_user() for _ in range(3)]
        others = [new_user() for _ in range(3)]
        for star in followed:
            store.graph.follow(fan, star)
        store.graph.follow(others[0], fan)  # the reverse edge does not count
        assert store.graph.following_among(fan, followed + others) == set(followed)
        assert store.graph.following_among(fan, []) == set()

    def test_block_is_recorded_one_way_and_can_be_lifted(self, store: Store) -> None:
        a, b = new_user(), new_user()
        assert store.graph.block(a, b) is True
        assert store.graph.block(a, b) is False
        assert store.graph.is_blocked(a, b)
        assert not store.graph.is_blocked(b, a)
        assert store.graph.unblock(a, b) is True
        assert store.graph.unblock(a, b) is False
        assert not store.graph.is_blocked(a, b)

    def test_user_without_edges_has_empty_pages(self, store: Store) -> None:
        user = new_user()
        page = store.graph.list_followers(user, 10)
        assert page.ids == [] and page.next_token is None
        assert store.graph.follower_count(user) == 0

    def test_iter_user_ids_names_every_user_with_an_edge_or_a_post(self, store: Store) -> None:
        a, b, c = new_user(), new_user(), new_user()
        store.graph.follow(a, b)
        store.posts.create_post(new_post(c))
        users = set(store.graph.iter_user_ids())
        assert {a, b, c} <= users
