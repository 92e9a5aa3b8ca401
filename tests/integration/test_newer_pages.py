"""Newer pages through GetHomeTimeline on the real stack: prev_page_token, as a front end's refresh loop uses it."""

from __future__ import annotations

import base64
import itertools

import grpc
import pytest

from feed.redis.connection import RedisFunctions, connect
from feed.timeline.store import RedisTimelineStore
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import drained, eventually, new_user

pytestmark = pytest.mark.integration


def ids(page) -> list[int]:
    return [p.post_id for p in page.posts]


def reader_following(client, *authors: int) -> int:
    reader = new_user()
    client.home(reader)  # materialized: the fan-out delivers to it
    for author in authors:
        client.follow(reader, author)
    return reader


def poll_until_empty(client, reader: int, token: str, size: int) -> tuple[list[list[int]], str]:
    """Newer pages until one comes back empty; every page carries a prev_page_token."""
    pages: list[list[int]] = []
    for _ in range(100):
        page = client.home(reader, size, token)
        assert page.prev_page_token
        token = page.prev_page_token
        if not page.posts:
            return pages, token
        pages.append(ids(page))
    raise AssertionError("newer paging did not end")


def walk_while_posting(stack, client, authors: list[int]) -> tuple[list[int], list[list[int]], int, str]:
    """50 posts by authors (in turn) while a client holding a prev token polls at page size 7:
    (posted, pages, reader, the last token)."""
    reader = reader_following(client, *authors)
    eventually(lambda: drained(stack))
    token = client.home(reader, 7).prev_page_token
    pages: list[list[int]] = []
    posted: list[int] = []
    for batch in range(5):  # the client polls while the posts arrive
        posted += [client.post(authors[n % len(authors)], f"post {batch}.{n}").post_id for n in range(10)]
        more, token = poll_until_empty(client, reader, token, 7)
        pages += more
    eventually(lambda: drained(stack))
    more, token = poll_until_empty(client, reader, token, 7)
    return posted, pages + more, reader, token


def test_a_client_holding_a_prev_token_while_50_posts_arrive_sees_each_once(semantics_stack, sem_client):
    """What must hold 1. One author's posts reach the timeline in id order (one partition), so
    each page starts just above the last."""
    author = new_user()
    posted, pages, reader, token = walk_while_posting(semantics_stack, sem_client, [author])
    shown = [i for page in pages for i in page]
    assert sorted(shown) == sorted(posted)  # all 50, none twice
    assert all(len(page) <= 7 and page == sorted(page, reverse=True) for page in pages)
    for older, newer in itertools.pairwise(pages):
        assert min(newer) > max(older)  # contiguous: each page starts just above the last
    empty = sem_client.home(reader, 7, token)
    assert empty.posts == [] and empty.prev_page_token
    last = sem_client.post(author, "one more").post_id
    eventually(lambda: ids(sem_client.home(reader, 7, empty.prev_page_token)) == [last])


def test_posts_of_several_authors_arriving_out_of_id_order_are_each_seen_once(semantics_stack, sem_client):
    """Authors on different partitions: a post can reach the timeline after a newer one was
    shown. It comes on a later page (within the settle window), never skipped, never twice."""
    posted, pages, _, _ = walk_while_posting(semantics_stack, sem_client, [new_user() for _ in range(3)])
    shown = [i for page in pages for i in page]
    assert sorted(shown) == sorted(posted)  # all 50, none twice
    assert all(len(page) <= 7 and page == sorted(page, reverse=True) for page in pages)


def test_newer_pages_hide_what_older_pages_hide_and_merge_read_time_authors(semantics_stack, sem_client):
    friend, gone, pest, star = new_user(), new_user(), new_user(), new_user()
    reader = reader_following(sem_client, friend, gone, star)
    for _ in range(CELEBRITY_THRESHOLD):  # the star is read at read time
        sem_client.follow(new_user(), star)
    club = sem_client.create_group(friend, "club")
    secret = sem_client.create_group(friend, "secret", private=True)
    sem_client.join(club, reader)
    sem_client.join(club, pest)
    sem_client.block(pest, reader)
    eventually(lambda: drained(semantics_stack))
    token = sem_client.home(reader, 5).prev_page_token
    kept = [sem_client.post(friend).post_id, sem_client.post(friend, group=club).post_id]
    loud = sem_client.post(star, "loud").post_id
    deleted = sem_client.post(friend, "oops").post_id
    sem_client.post(gone, "bye")
    sem_client.post(pest, "pest", group=club)
    sem_client.post(friend, "secret", group=secret)
    sem_client.delete(friend, deleted)
    sem_client.unfollow(reader, gone)
    eventually(lambda: drained(semantics_stack))
    pages, _ = poll_until_empty(sem_client, reader, token, 2)
    assert sorted(i for page in pages for i in page) == sorted([*kept, loud])


def test_a_late_arrival_below_a_returned_post_comes_on_the_next_newer_page(semantics_stack, sem_client):
    author = new_user()
    reader = reader_following(sem_client, author)
    eventually(lambda: drained(semantics_stack))
    token = sem_client.home(reader, 5).prev_page_token
    late = sem_client.post(author, "late").post_id
    eventually(lambda: drained(semantics_stack))
    timelines = RedisTimelineStore(RedisFunctions(connect(semantics_stack.settings.redis_url)), 800)
    timelines.remove([reader], [late])  # as if its fan-out had not reached the reader yet
    on_time = sem_client.post(author, "on time").post_id
    eventually(lambda: drained(semantics_stack))
    first = sem_client.home(reader, 5, token)
    assert ids(first) == [on_time]
    assert timelines.push([(reader, late)]) == 1  # the late event lands, in place below on_time
    second = sem_client.home(reader, 5, first.prev_page_token)
    assert ids(second) == [late]
    assert sem_client.home(reader, 5, second.prev_page_token).posts == []


@pytest.mark.parametrize(
    "token",
    [
        base64.urlsafe_b64encode(b"\x03" + (10**18).to_bytes(8, "big")).decode(),  # no floor
        base64.urlsafe_b64encode(b"\x03" + (10**18).to_bytes(8, "big") + b"\xff\xff\xff\xff\x7f").decode(),
        base64.urlsafe_b64encode(b"\x03\x00").decode(),
        "A" + "x" * 600,
    ],
)
def test_forged_prev_tokens_are_invalid_arguments(stack, client, token):
    reader = new_user()
    with pytest.raises(grpc.RpcError) as err:
        client.home(reader, 5, token)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_every_page_carries_a_prev_token_and_older_pages_keep_their_next_token(stack, client):
    author = new_user()
    reader = reader_following(client, author)
    posts = [client.post(author).post_id for _ in range(5)]
    eventually(lambda: len(client.home(reader, 10).posts) == 5)
    first = client.home(reader, 3)
    second = client.home(reader, 3, first.next_page_token)
    assert ids(first) + ids(second) == sorted(posts, reverse=True)
    assert first.prev_page_token and second.prev_page_token and not second.next_page_token
    above_second = client.home(reader, 3, second.prev_page_token)  # the page just above the older one
    assert ids(above_second) == ids(first)
    assert ids(client.home(reader, 3, above_second.next_page_token)) == ids(second)
