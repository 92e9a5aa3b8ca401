"""Creating and deleting posts: what is stored, what is published, and who is refused."""

from __future__ import annotations

import pytest

from feed.access.groups import GroupAccess
from feed.access.rate_limit import RedisRateLimiter
from feed.actions.posts import PostActions
from feed.domain import OPEN, Post
from feed.errors import InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from feed.events import Envelope, PostCreated, PostDeleted
from feed.ids import IdGenerator
from tests.actions.conftest import MAX_CHARS, NOW_MS, ORG

ALICE, BOB, CAROL = 1, 2, 3


def _authored(store, author_id: int) -> list[Post]:
    return store.posts.list_author_posts(author_id, None, 10)


def test_a_new_post_is_stored_and_published_under_an_event_id_named_after_it(posts, store, publisher, sign_in):
    alice = sign_in(ALICE)
    post = posts.create(alice, ALICE, "hello")
    assert post == Post(post.post_id, ALICE, "hello", NOW_MS, 0, ORG)
    assert store.posts.get_post(post.post_id) == post
    assert publisher.envelopes == [
        Envelope(f"post-created-{post.post_id}", NOW_MS, PostCreated(post.post_id, ALICE, ORG))
    ]


def test_the_same_idempotency_key_returns_the_first_post_and_records_its_event_once(posts, store, publisher, sign_in):
    alice = sign_in(ALICE)
    first = posts.create(alice, ALICE, "hello", key="k-1")
    again = posts.create(alice, ALICE, "hello, edited", key="k-1")
    assert again == first
    assert _authored(store, ALICE) == [first]
    assert [e.event_id for e in publisher.envelopes] == [f"post-created-{first.post_id}"]
    assert publisher.events == [PostCreated(first.post_id, ALICE, ORG)]


def test_a_group_post_names_its_group_and_only_members_may_post(posts, groups, publisher, sign_in):
    alice, bob = sign_in(ALICE), sign_in(BOB)
    group = groups.create(alice, ALICE, "book club", OPEN)
    post = posts.create(alice, ALICE, "first chapter", group_id=group.group_id)
    assert publisher.events == [PostCreated(post.post_id, ALICE, ORG, group.group_id)]
    with pytest.raises(PermissionDenied, match="join the group"):
        posts.create(bob, BOB, "me too", group_id=group.group_id)
    assert len(publisher.envelopes) == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_CHARS + 1)])
def test_empty_or_too_long_text_is_refused_before_anything_is_stored(posts, store, publisher, sign_in, text):
    with pytest.raises(InvalidArgument, match="text"):
        posts.create(sign_in(ALICE), ALICE, text)
    assert _authored(store, ALICE) == [] and publisher.envelopes == []


def test_nobody_posts_as_someone_else(posts, store, sign_in):
    with pytest.raises(PermissionDenied, match="author_id must be the user of the token"):
        posts.create(sign_in(ALICE), BOB, "hello")
    assert _authored(store, BOB) == []


def test_a_write_past_the_rate_limit_is_refused_before_the_store(store, cache, redis_client, sink, publisher, sign_in):
    one_write = RedisRateLimiter(redis_client, rate_per_s=0.01, burst=1)
    posts = PostActions(store.posts, GroupAccess(store.orgs), cache, one_write, sink, IdGenerator(), lambda: NOW_MS, 50)
    alice = sign_in(ALICE)
    first = posts.create(alice, ALICE, "one")
    with pytest.raises(ResourceExhausted) as refused:
        posts.create(alice, ALICE, "two")
    assert refused.value.retry_after_ms > 0
    assert _authored(store, ALICE) == [first]
    assert len(publisher.envelopes) == 1


def test_the_author_deletes_a_post_from_the_store_the_cache_and_every_timeline(posts, store, cache, publisher, sign_in):
    alice = sign_in(ALICE)
    post = posts.create(alice, ALICE, "oops")
    cache.fill([post])
    posts.delete(alice, ALICE, post.post_id)
    assert store.posts.get_post(post.post_id) is None
    assert cache.get_many([post.post_id]) == ({}, {post.post_id})  # a tombstone: reads stop showing it at once
    assert publisher.envelopes[-1] == Envelope(
        f"post-deleted-{post.post_id}", NOW_MS, PostDeleted(post.post_id, ALICE, ORG)
    )


def test_only_the_author_may_delete_a_post(posts, store, publisher, sign_in):
    post = posts.create(sign_in(ALICE), ALICE, "mine")
    with pytest.raises(PermissionDenied, match="only the author"):
        posts.delete(sign_in(BOB), BOB, post.post_id)
    assert store.posts.get_post(post.post_id) == post
    assert publisher.events == [PostCreated(post.post_id, ALICE, ORG)]


def test_another_organizations_post_answers_as_one_that_does_not_exist(posts, store, sign_in):
    post = posts.create(sign_in(ALICE), ALICE, "ours")
    outsider = sign_in(CAROL, org_id=ORG + 1)
    with pytest.raises(NotFound) as foreign:
        posts.delete(outsider, CAROL, post.post_id)
    with pytest.raises(NotFound) as unknown:
        posts.delete(outsider, CAROL, post.post_id + 1)
    assert str(foreign.value) == f"post {post.post_id} not found"
    assert str(unknown.value) == f"post {post.post_id + 1} not found"
    assert store.posts.get_post(post.post_id) == post
