"""The retry policy and loop: bounded, jittered, growing pauses; only the statuses asked for are retried."""

from __future__ import annotations

import grpc
import pytest

from feed.client import DeadlineExceeded, FeedClient, InvalidArgument, ResourceExhausted, RetryPolicy, Unavailable
from feed.client.retry import RETRY_CREATE, RETRY_UNAVAILABLE, call_with_retry
from feed.v1 import post_pb2
from tests.client.doubles import InMemoryRpcError


def failing(*codes: grpc.StatusCode, answer="done"):
    """An attempt that fails with each code in turn, then answers; .calls counts the attempts."""
    left = list(codes)

    def attempt():
        attempt.calls += 1
        if left:
            raise InMemoryRpcError(left.pop(0), "server says no")
        return answer

    attempt.calls = 0
    return attempt


def test_pauses_grow_to_the_cap_and_are_jittered_between_half_and_all_of_it():
    policy = RetryPolicy(attempts=7, initial_s=0.1, multiplier=2.0, max_s=1.0)
    assert list(policy.pauses(lambda: 1.0)) == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert list(policy.pauses(lambda: 0.0)) == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5, 0.5])


def test_a_retried_status_is_retried_until_the_call_succeeds():
    slept: list[float] = []
    attempt = failing(grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)
    assert call_with_retry(attempt, RetryPolicy(attempts=3), RETRY_UNAVAILABLE, slept.append) == "done"
    assert attempt.calls == 3 and len(slept) == 2


def test_retries_stop_after_the_last_attempt_with_the_typed_error():
    attempt = failing(*[grpc.StatusCode.UNAVAILABLE] * 5)
    with pytest.raises(Unavailable, match="server says no"):
        call_with_retry(attempt, RetryPolicy(attempts=3), RETRY_UNAVAILABLE, lambda s: None)
    assert attempt.calls == 3


@pytest.mark.parametrize(
    ("code", "error"),
    [(grpc.StatusCode.INVALID_ARGUMENT, InvalidArgument), (grpc.StatusCode.DEADLINE_EXCEEDED, DeadlineExceeded)],
)
def test_statuses_not_asked_for_are_raised_at_once(code, error):
    attempt = failing(code)
    with pytest.raises(error):
        call_with_retry(attempt, RetryPolicy(attempts=5), RETRY_UNAVAILABLE, lambda s: None)
    assert attempt.calls == 1


def test_resource_exhausted_carries_the_servers_retry_after_hint():
    def attempt():
        raise InMemoryRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", [("retry-after-ms", "250")])

    with pytest.raises(ResourceExhausted) as caught:
        call_with_retry(attempt, RetryPolicy(), RETRY_UNAVAILABLE, lambda s: None)
    assert caught.value.retry_after_ms == 250 and caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED


class InMemoryPosts:
    """CreatePost that fails first with the given statuses, recording every request it saw."""

    def __init__(self, *codes: grpc.StatusCode) -> None:
        self.requests = []
        self._attempt = failing(*codes)

    def CreatePost(self, request, timeout=None, metadata=None):
        self.requests.append(request)
        self._attempt()
        return post_pb2.Post(post_id=7, author_id=request.author_id, text=request.text)


def _client_with(posts) -> FeedClient:
    client = FeedClient("127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", "a-token", retry=RetryPolicy(initial_s=0))
    client._posts = posts
    return client


def test_create_post_retries_reuse_one_idempotency_key_and_a_new_post_gets_a_new_one():
    posts = InMemoryPosts(grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    with _client_with(posts) as client:
        assert client.create_post(1, "hi").post_id == 7
        client.create_post(1, "another")
    keys = [r.idempotency_key for r in posts.requests]
    assert len(keys) == 4 and keys[0] and keys[0] == keys[1] == keys[2] != keys[3]
    assert {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED} == RETRY_CREATE


def test_create_post_keeps_a_key_the_caller_chose():
    posts = InMemoryPosts(grpc.StatusCode.UNAVAILABLE)
    with _client_with(posts) as client:
        client.create_post(1, "hi", idempotency_key="mine-1")
    assert [r.idempotency_key for r in posts.requests] == ["mine-1", "mine-1"]


class InMemoryReposts:
    """Repost and Unrepost that fail first with the given statuses, recording every request they saw."""

    def __init__(self, *codes: grpc.StatusCode) -> None:
        self.requests = []
        self._attempt = failing(*codes)

    def Repost(self, request, timeout=None, metadata=None):
        self.requests.append(request)
        self._attempt()
        return post_pb2.Post(post_id=request.post_id, author_id=9, reposted_by_user_id=request.user_id, repost_count=3)

    def Unrepost(self, request, timeout=None, metadata=None):
        self.requests.append(request)
        self._attempt()


def test_repost_and_unrepost_are_retried_on_unavailable_as_idempotent_writes():
    reposts, unreposts = (
        InMemoryReposts(*[grpc.StatusCode.UNAVAILABLE] * 2),
        InMemoryReposts(grpc.StatusCode.UNAVAILABLE),
    )
    with _client_with(reposts) as client:
        shared = client.repost(1, 42)
    with _client_with(unreposts) as client:
        client.unrepost(1, 42)
    assert (shared.post_id, shared.reposted_by_user_id, shared.repost_count) == (42, 1, 3)
    assert [type(r).__name__ for r in reposts.requests] == ["RepostRequest"] * 3
    assert [type(r).__name__ for r in unreposts.requests] == ["UnrepostRequest"] * 2
    assert all((r.user_id, r.post_id) == (1, 42) for r in reposts.requests + unreposts.requests)


def test_a_repost_past_its_deadline_is_reported_not_repeated():
    reposts = InMemoryReposts(grpc.StatusCode.DEADLINE_EXCEEDED)
    with _client_with(reposts) as client, pytest.raises(DeadlineExceeded):
        client.repost(1, 42)
    assert len(reposts.requests) == 1
