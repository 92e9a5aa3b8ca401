"""No bottom: GetHomeTimeline's next_page_token pages past the entries Redis holds, from the durable store,
in order, each post once, with the same filters, until the oldest post the reader can see.

Most tests run on a stack of their own whose Redis lists hold FEED_TIMELINE_MAX = 50 entries, so a few
hundred posts go well past them; one runs the issue's case on the default stack (800 entries)."""

from __future__ import annotations

import pytest

from feed.domain import Post
from feed.ids import IdGenerator, now_ms
from feed.page_tokens import encode_id_cursor
from feed.redis.connection import connect
from feed.redis.keys import home_timeline_key
from tests.integration.stack import _store_at, client_of, drained, eventually, new_user, private_stack

pytestmark = pytest.mark.integration
SMALL = 50  # FEED_TIMELINE_MAX of this module's stack
_ids = IdGenerator()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(stack, client) whose Redis lists hold SMALL entries."""
    with private_stack(tmp_path_factory, "deep", timeline_max=SMALL) as running, client_of(running) as client:
        yield running, client


def load(stack, author: int, n: int, group: int = 0, org: int = 0) -> list[int]:
    """n posts of author, stored at once (the store's bulk load: no fan-out), oldest first."""
    posts = [Post(_ids.next_id(), author, "deep", now_ms(), group_id=group, org_id=org) for _ in range(n)]
    _store_at(stack.settings.store_url).posts.load_posts(posts)
    return [p.post_id for p in posts]


def rebuilt(stack, client, reader: int) -> None:
    """The reader's home list made again from the store once the workers are idle: its newest entries only."""
    eventually(lambda: drained(stack), timeout_s=30)
    connect(stack.settings.redis_url).delete(home_timeline_key(reader))
    client.home(reader, 1)


def walk(client, reader: int, size: int) -> list[int]:
    ids = client.home_ids(reader, size)  # fails if paging does not end
    assert len(ids) == len(set(ids)), "a post came twice"
    return ids


def following(client, reader: int, authors: list[int]) -> None:
    for author in authors:
        client.follow(reader, author)


def pages_past_redis(stack, client, per_author: int) -> None:
    """What must hold 4: every post of the authors followed, 1,200 loaded plus three created, in order."""
    reader, authors = new_user(), [new_user() for _ in range(6)]
    following(client, reader, authors)
    loaded = [i for a in authors for i in load(stack, a, per_author)]
    rebuilt(stack, client, reader)
    created = [client.post(a, "new").post_id for a in authors[:3]]
    eventually(lambda: set(created) <= {p.post_id for p in client.home(reader, 10).posts})
    seen = walk(client, reader, 100)
    assert seen == sorted(loaded + created, reverse=True)


def test_a_reader_pages_through_every_post_past_the_entries_redis_holds(small):
    pages_past_redis(*small, per_author=200)


def test_a_reader_pages_past_the_default_800_entries(stack, client):
    pages_past_redis(stack, client, per_author=200)


def test_page_sizes_1_7_and_100_give_the_same_sequence_across_the_boundary(small):
    stack, client = small
    reader, authors = new_user(), [new_user() for _ in range(2)]
    following(client, reader, authors)
    loaded = [i for a in authors for i in load(stack, a, 60)]
    rebuilt(stack, client, reader)
    expected = sorted(loaded, reverse=True)
    assert walk(client, reader, 1) == expected
    assert walk(client, reader, 7) == expected
    assert walk(client, reader, 100) == expected


def test_below_the_boundary_the_filters_hold(small):
    stack, client = small
    reader, friend, gone, rude, pest, stranger = (new_user() for _ in range(6))
    following(client, reader, [friend, gone, rude, pest])
    club = client.create_group(pest, "club")
    client.join(club, reader)
    secret = client.create_group(stranger, "secret", private=True)
    [deleted] = load(stack, friend, 1)
    hidden = load(stack, gone, 3) + load(stack, rude, 3) + load(stack, pest, 3, group=club)
    hidden += load(stack, stranger, 3, group=secret) + load(stack, friend, 3, org=7)
    shown = load(stack, friend, 5) + load(stack, friend, 2, group=club)
    shown += load(stack, friend, SMALL + 10)  # newer: Redis holds the newest SMALL, the rest is below its tail
    client.delete(friend, deleted)
    client.unfollow(reader, gone)
    client.block(reader, rude)
    client.block(pest, reader)  # blocks hide both ways: the pest's posts in the club too
    rebuilt(stack, client, reader)
    assert walk(client, reader, 9) == sorted(shown, reverse=True)
    assert not set(walk(client, reader, 100)) & {deleted, *hidden}


def test_a_forged_cursor_far_in_the_past_returns_the_oldest_posts_and_ends(small):
    stack, client = small
    reader, author = new_user(), new_user()
    following(client, reader, [author])
    oldest = load(stack, author, 3)
    load(stack, author, SMALL * 3)
    rebuilt(stack, client, reader)
    page = client.home(reader, 10, encode_id_cursor(oldest[-1] + 1))
    assert [p.post_id for p in page.posts] == sorted(oldest, reverse=True)
    assert page.next_page_token == ""
