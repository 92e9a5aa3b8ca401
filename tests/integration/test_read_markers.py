"""Read markers through gRPC on a running stack: compare-and-set by version, private, durable."""

from __future__ import annotations

import time

import grpc
import pytest

from feed.ids import MAX_ID, IdGenerator
from feed.redis.connection import connect
from feed.v1 import feed_service_pb2
from tests.integration.stack import new_user

pytestmark = pytest.mark.integration


def set_marker(client, user: int, post_id: int, version: int, metadata=None) -> feed_service_pb2.ReadMarker:
    request = feed_service_pb2.SetReadMarkerRequest(user_id=user, post_id=post_id, version=version)
    return client.feed.SetReadMarker(request, metadata=metadata, timeout=10)


def get_marker(client, user: int, metadata=None) -> feed_service_pb2.ReadMarker:
    return client.feed.GetReadMarker(feed_service_pb2.GetReadMarkerRequest(user_id=user), metadata=metadata, timeout=10)


def refusal(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value.details()


def test_a_user_who_never_set_a_marker_reads_the_empty_one(client):
    assert get_marker(client, new_user()) == feed_service_pb2.ReadMarker()


def test_a_set_returns_the_marker_one_version_on_and_a_get_reads_it_back(client):
    user = new_user()
    first, second = client.post(new_user(), "one").post_id, client.post(new_user(), "two").post_id
    before_ms = int(time.time() * 1000)
    made = set_marker(client, user, first, 0)
    assert (made.post_id, made.version) == (first, 1)
    assert before_ms - 1000 <= made.update_time.ToMilliseconds() <= int(time.time() * 1000) + 1000
    moved = set_marker(client, user, second, 1)
    assert (moved.post_id, moved.version) == (second, 2)
    assert get_marker(client, user) == moved


def test_a_stale_version_is_aborted_with_the_current_version_and_changes_nothing(client):
    """Two devices read version 1; the first to set wins, the other learns where the marker is now."""
    user, ids = new_user(), IdGenerator()
    set_marker(client, user, ids.next_id(), 0)
    phone = set_marker(client, user, ids.next_id(), 1)
    code, message = refusal(lambda: set_marker(client, user, ids.next_id(), 1))  # the laptop, still at 1
    assert code == grpc.StatusCode.ABORTED
    assert "at version 2" in message
    assert get_marker(client, user) == phone


def test_another_user_can_neither_set_nor_read_your_marker(client):
    owner, mallory, ids = new_user(), new_user(), IdGenerator()
    mine = set_marker(client, owner, ids.next_id(), 0)
    as_mallory = client.acting_as(mallory)
    for call in (
        lambda: set_marker(client, owner, ids.next_id(), 1, metadata=as_mallory),
        lambda: get_marker(client, owner, metadata=as_mallory),
    ):
        code, message = refusal(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        assert "must be the user of the token" in message
    assert get_marker(client, owner) == mine


@pytest.mark.parametrize(
    ("post_id", "version", "field"),
    [
        (0, 0, "post_id"),
        (MAX_ID + 1, 0, "post_id"),
        (IdGenerator(clock=lambda: time.time() + 3600).next_id(), 0, "post_id"),  # an hour ahead: not made yet
        (1_000_000_007, 2**63 - 1, "version"),
        (1_000_000_007, 2**64 - 1, "version"),
    ],
    ids=["zero", "past-max", "future", "version-max", "version-past-max"],
)
def test_malformed_sets_are_invalid_arguments(client, post_id, version, field):
    user = new_user()
    code, message = refusal(lambda: set_marker(client, user, post_id, version))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in message
    assert get_marker(client, user) == feed_service_pb2.ReadMarker()


def test_markers_survive_a_flushall_of_redis(stack, client):
    user, ids = new_user(), IdGenerator()
    set_marker(client, user, ids.next_id(), 0)
    kept = set_marker(client, user, ids.next_id(), 1)
    connect(stack.settings.redis_url).flushall()
    assert get_marker(client, user) == kept
    assert set_marker(client, user, ids.next_id(), 2).version == 3  # and the versions go on from there
