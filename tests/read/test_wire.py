"""Spliced pages (feed/read/wire.py) parse to exactly the message the old path built, field for field."""

from __future__ import annotations

import dataclasses
import random

import pytest
from google.protobuf import timestamp_pb2

from feed.domain import Post
from feed.ids import IdGenerator
from feed.read.hydrate import Hydrator
from feed.read.wire import WirePosts, post_message, varint
from feed.redis.keys import post_key
from feed.redis.post_cache import RedisPostCache
from feed.store.reposts import Repost
from feed.v1 import feed_service_pb2, post_pb2

U64_MAX = 2**64 - 1
TEXTS = ["", "hello", "ünïcødé ✓ 🚀", "x" * 300, "line\nbreak", "\x00nul"]


def old_home(posts: list[Post], next_token: str, prev_token: str) -> feed_service_pb2.GetHomeTimelineResponse:
    """What the read service answered before splicing: messages built per post, serialized by gRPC."""
    return feed_service_pb2.GetHomeTimelineResponse(
        posts=[post_message(p) for p in posts], next_page_token=next_token, prev_page_token=prev_token
    )


def spliced_home(pages: WirePosts, posts, next_token: str, prev_token: str) -> feed_service_pb2.GetHomeTimelineResponse:
    return feed_service_pb2.GetHomeTimelineResponse.FromString(pages.page(posts, next_token, prev_token).data)


def random_post(rng: random.Random, post_id: int) -> Post:
    return Post(
        post_id,
        rng.choice([1, 7, 2**40, U64_MAX]),
        rng.choice(TEXTS),
        rng.choice([1, 999, 1_700_000_000_123, 4_102_444_800_000]),
        group_id=rng.choice([0, 0, 3, 2**53 + 1]),
        org_id=rng.choice([0, 1, 2**33]),
        repost_count=rng.choice([0, 0, 1, 300, 2**32]),
    )


def repost_of(rng: random.Random, original: Post, repost_id: int) -> Post:
    """The repost entry the hydrator makes of original (feed/read/hydrate.py)."""
    reposter = rng.choice([2, 2**63 + 5, U64_MAX])
    return dataclasses.replace(original, post_id=repost_id, repost_of=original.post_id, reposted_by=reposter)


def test_many_random_pages_parse_to_the_old_paths_message():
    rng = random.Random(21)
    pages = WirePosts(max_entries=50)  # small: pages also cross the clearing of a full map
    known: list[Post] = []
    for round_ in range(400):
        posts: list[Post] = []
        for _ in range(rng.randint(0, 25)):
            kind = rng.random()
            if known and kind < 0.3:
                posts.append(rng.choice(known))  # a hot post: the same object again
            elif known and kind < 0.4:
                posts.append(dataclasses.replace(rng.choice(known)))  # an equal post, another object
            elif known and kind < 0.5:  # the same id, its count changed: must not get the old bytes
                posts.append(dataclasses.replace(rng.choice(known), repost_count=rng.randint(0, 9)))
            elif known and kind < 0.7:
                posts.append(repost_of(rng, rng.choice(known), rng.randint(1, U64_MAX)))
            else:
                posts.append(random_post(rng, rng.randint(1, U64_MAX)))
                known.append(posts[-1])
        next_token = rng.choice(["", "CgQIARAC", "ü" * 200])
        prev_token = rng.choice(["", "AQID"])
        assert spliced_home(pages, posts, next_token, prev_token) == old_home(posts, next_token, prev_token), round_


def test_a_repost_is_its_originals_bytes_with_the_reposter_inside_the_submessage():
    original = Post(11, 3, "shared", 1_700_000_000_000, repost_count=2)
    repost = dataclasses.replace(original, post_id=12, repost_of=11, reposted_by=5)
    raw = WirePosts().page([repost, original], "").data
    body = post_message(original).SerializeToString() + b"\x38" + varint(5)
    assert raw.startswith(b"\x0a" + varint(len(body)) + body)
    response = feed_service_pb2.GetHomeTimelineResponse.FromString(raw)
    assert [(p.post_id, p.reposted_by_user_id, p.repost_count) for p in response.posts] == [(11, 5, 2), (11, 0, 2)]


def test_user_and_group_pages_parse_to_their_old_messages():
    rng = random.Random(5)
    posts = [random_post(rng, i) for i in range(1, 30)]
    posts[3] = repost_of(rng, posts[2], 99)
    pages = WirePosts()
    for kind in (feed_service_pb2.GetUserTimelineResponse, feed_service_pb2.GetGroupTimelineResponse):
        for token in ("", "CgQIARAC"):
            old = kind(posts=[post_message(p) for p in posts], next_page_token=token)
            assert kind.FromString(pages.page(posts, token, remember=False).data) == old
    assert len(pages) == 0  # store posts are not kept: they would push hot ones out


def test_an_empty_page_is_its_tokens_alone():
    assert WirePosts().page([], "").data == b""
    assert spliced_home(WirePosts(), [], "", "AQID") == old_home([], "", "AQID")


ids = IdGenerator(node=6)


def older_versions_bytes(post: Post) -> list[bytes]:
    """Cached bytes of one post as other versions of the process wrote them: fields in reverse order,
    an explicit zero, a field this version does not know (a newer writer), no repost_count (an older one)."""
    created = timestamp_pb2.Timestamp()
    created.FromMilliseconds(post.create_time_ms)
    fields = [
        (8, post.repost_count),
        (6, post.org_id),
        (5, post.group_id),
        (4, created.SerializeToString()),
        (3, post.text.encode()),
        (2, post.author_id),
        (1, post.post_id),
    ]
    reversed_ = b"".join(
        (varint(n << 3 | 2) + varint(len(v)) + v) if isinstance(v, bytes) else (varint(n << 3) + varint(v))
        for n, v in fields
    )
    newer = reversed_ + varint(15 << 3) + varint(42)  # field 15: unknown to this version
    return [reversed_, newer]


@pytest.mark.parametrize("variant", [0, 1])
def test_a_cache_filled_by_another_version_of_the_process_still_serves_the_old_paths_page(
    variant, sqlite_store, redis_client
):
    cache = RedisPostCache(redis_client, ttl_s=86_400)
    hydrator = Hydrator(cache, sqlite_store.posts, sqlite_store.reposts)
    stored = [
        sqlite_store.posts.create_post(Post(ids.next_id(), 1, "plain ✓", 1_700_000_000_001))[0],
        sqlite_store.posts.create_post(Post(ids.next_id(), 2, "in a group", 1_700_000_000_002, group_id=9))[0],
        sqlite_store.posts.create_post(Post(ids.next_id(), 3, "gone", 1_700_000_000_003))[0],
    ]
    repost = sqlite_store.reposts.create_repost(Repost(ids.next_id(), 4, stored[0].post_id))[0]
    stored[0] = dataclasses.replace(stored[0], repost_count=1)
    for post in stored:
        redis_client.set(post_key(post.post_id), older_versions_bytes(post)[variant])
    pointer = post_pb2.Post(post_id=stored[0].post_id, reposted_by_user_id=4)  # an older pointer: no org field
    redis_client.set(post_key(repost.repost_id), pointer.SerializeToString())
    cache.mark_deleted(stored[2].post_id)
    wanted = [repost.repost_id, stored[2].post_id, stored[1].post_id, stored[0].post_id]
    pages = WirePosts()
    for _ in range(2):  # encoded, then from the process's bytes
        found = hydrator.hydrate(wanted)
        posts = [found[i] for i in wanted if i in found]
        assert [p.original_id for p in posts] == [stored[0].post_id, stored[1].post_id, stored[0].post_id]
        assert spliced_home(pages, posts, "n", "p") == old_home(posts, "n", "p")
    raw = pages.page(posts, "").data
    assert b"\x78\x2a" not in raw  # the unknown field went no further, as on the old path


def test_a_spliced_pages_posts_read_as_the_messages_the_client_gets():
    """What a trace span names (services/rpc_spans.py reads a response's posts): the originals' ids."""
    original = Post(11, 3, "shared", 1_700_000_000_000)
    repost = dataclasses.replace(original, post_id=12, repost_of=11, reposted_by=5)
    page = WirePosts().page([repost, Post(10, 4, "own", 1_700_000_000_000)], "t")
    assert [(p.post_id, p.reposted_by_user_id) for p in page.posts] == [(11, 5), (10, 0)]
