"""The post cache cannot be poisoned, and one user's flood of reads is bounded, on the real stack.

Ids are predictable: a time, the node of the write service (readable from any post id) and a
sequence that is usually 0. A reader asking for the ids of the next seconds must not hide the
posts made in them; a reader asking for thousands of random ids must meet the read limit and
leave Redis about as it was.
"""

from __future__ import annotations

import random

import grpc
import pytest

from feed.ids import EPOCH_MS, MAX_NODE, NODE_BITS, SEQUENCE_BITS, now_ms
from feed.redis.connection import connect
from feed.v1 import feed_service_pb2, post_service_pb2
from tests.integration.stack import drained, eventually, new_user

pytestmark = pytest.mark.integration

PROBE_AHEAD_MS = 2_000  # the probed window starts this far ahead: probing must end before it does
WINDOW_MS = 400  # one probe per millisecond of it, within the default read burst (500)
FLOOD = 3_000
MAX_NEW_KEYS = 5  # the flooder's read bucket, and slack for the stack's own background keys


def id_at(time_ms: int, node: int, sequence: int = 0) -> int:
    """The id the write service on `node` makes at time_ms, as an attacker derives it."""
    return ((time_ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)) | (node << SEQUENCE_BITS) | sequence


def node_of(post_id: int) -> int:
    return (post_id >> SEQUENCE_BITS) & MAX_NODE


def get_post_codes(client, caller: int, post_ids: list[int]) -> list[grpc.RpcError | None]:
    """GetPost of every id as caller; None for an answer, else the error."""
    requests = [post_service_pb2.GetPostRequest(post_id=i) for i in post_ids]
    return outcomes_of(client.posts.GetPost, requests, client.acting_as(caller))


def outcomes_of(method, requests: list, metadata) -> list[grpc.RpcError | None]:
    """Every request sent, at most 200 in flight; None for an answer, else the error."""
    outcomes: list[grpc.RpcError | None] = []
    for start in range(0, len(requests), 200):
        futures = [method.future(r, metadata=metadata, timeout=30) for r in requests[start : start + 200]]
        for future in futures:
            try:
                future.result()
                outcomes.append(None)
            except grpc.RpcError as err:
                outcomes.append(err)
    return outcomes


def test_asking_for_the_ids_of_the_next_seconds_hides_no_post_made_in_them(client):
    attacker, author, follower = new_user(), new_user(), new_user()
    client.home(follower)  # an active reader: the author's posts are fanned out to them
    client.follow(follower, author)
    node = node_of(client.post(attacker, "any post tells the node").post_id)

    start = now_ms() + PROBE_AHEAD_MS
    probed = {id_at(t, node) for t in range(start, start + WINDOW_MS)}
    outcomes = get_post_codes(client, attacker, sorted(probed))
    assert all(err is not None and err.code() == grpc.StatusCode.NOT_FOUND for err in outcomes)
    assert now_ms() < start + WINDOW_MS, "probing took longer than the window it probed; nothing to post into"

    eventually(lambda: now_ms() >= start, timeout_s=PROBE_AHEAD_MS / 1000 + 1)  # the probed seconds come
    hit: list[int] = []
    while now_ms() < start + WINDOW_MS and len(hit) < 3:
        post_id = client.post(author, "made in a probed millisecond").post_id
        if post_id in probed:
            hit.append(post_id)
    assert hit, "no post landed on a probed id"

    for post_id in hit:
        for reader in (follower, attacker):
            request = post_service_pb2.GetPostRequest(post_id=post_id)
            assert client.posts.GetPost(request, metadata=client.acting_as(reader), timeout=10).post_id == post_id
    eventually(lambda: set(hit) <= {p.post_id for p in client.home(follower, 100).posts})


def test_one_users_flood_of_get_post_meets_the_read_limit_and_grows_redis_by_a_bounded_number_of_keys(stack, client):
    redis = connect(stack.settings.redis_url)
    eventually(lambda: drained(stack), timeout_s=30)  # earlier tests' fan-out has landed
    flooder = new_user()
    rng = random.Random(20)
    now = now_ms()
    # Ids of the past hour, on any node: each could be a post, so each is looked up (or refused).
    ids = [id_at(now - rng.randrange(3_600_000), rng.randrange(MAX_NODE + 1)) for _ in range(FLOOD)]
    keys_before = redis.dbsize()

    outcomes = get_post_codes(client, flooder, ids)

    refused = [err for err in outcomes if err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert refused, "3,000 reads in a few seconds met no limit"
    assert all(err is not None for err in outcomes)  # the rest are NOT_FOUND: none of these ids was posted
    assert "too many reads; retry after" in refused[0].details()
    assert int(dict(refused[0].trailing_metadata())["retry-after-ms"]) > 0
    assert redis.dbsize() - keys_before <= MAX_NEW_KEYS


def test_one_users_flood_of_home_pages_meets_the_read_limit_and_others_read_on(client):
    flooder, other = new_user(), new_user()
    requests = [feed_service_pb2.GetHomeTimelineRequest(user_id=flooder, page_size=1)] * 700  # past the burst
    outcomes = outcomes_of(client.feed.GetHomeTimeline, requests, client.acting_as(flooder))
    refused = [err for err in outcomes if err is not None]
    assert refused and all(err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED for err in refused)
    assert int(dict(refused[0].trailing_metadata())["retry-after-ms"]) > 0
    client.home(other)  # another reader's budget is their own
