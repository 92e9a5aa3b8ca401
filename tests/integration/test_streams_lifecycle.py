"""Streams across replicas, and how they end: shutdown, an expiring token, a full server."""

from __future__ import annotations

import signal

import grpc
import pytest

from feed.access.tokens import mint
from feed.devstack.procs import free_port
from tests.integration.stack import new_user, start_feed_process, start_replica, wait_listening
from tests.integration.streams import Watcher, watch_live

pytestmark = pytest.mark.integration


@pytest.fixture
def replica(stack, tmp_path):
    """One more read process beside the stack's: (process, its stream address)."""
    stream_addr = f"127.0.0.1:{free_port()}"
    proc, _ = start_replica(stack, "read", tmp_path, stream_addr=stream_addr)
    try:
        wait_listening(proc, stream_addr)
        yield proc, stream_addr
    finally:
        proc.stop()


def test_a_post_reaches_streams_held_by_two_read_replicas(stack, client, replica):
    author, first, second = new_user(), new_user(), new_user()
    for follower in (first, second):
        client.follow(follower, author)
    watchers = [
        watch_live(client, stack.settings.stream_addr, first, author),
        watch_live(client, replica[1], second, author),
    ]
    try:
        post = client.post(author, "for everyone").post_id
        for watcher in watchers:
            assert watcher.wait_for(lambda w: post in w.posts()), watcher.posts()
    finally:
        for watcher in watchers:
            watcher.close()


def test_sigterm_ends_streams_with_unavailable_and_the_process_exits_0(stack, client, replica):
    proc, stream_addr = replica
    author, follower = new_user(), new_user()
    client.follow(follower, author)
    watcher = watch_live(client, stream_addr, follower, author)
    try:
        proc.signal(signal.SIGTERM)
        assert watcher.wait_for(lambda w: w.ended is not None, 15.0)
        assert watcher.ended == grpc.StatusCode.UNAVAILABLE
        assert "resume with the last resume_token" in watcher.details
        assert proc.proc.wait(30) == 0, proc.tail()
    finally:
        watcher.close()


def test_a_token_that_expires_ends_the_stream_with_unauthenticated(stack):
    user = new_user()
    token = mint(stack.keys, user, ttl_s=2)
    watcher = Watcher(stack.settings.stream_addr, user, [("authorization", f"Bearer {token}")])
    try:
        assert watcher.wait_for(lambda w: w.ended is not None, 15.0)
        assert watcher.ended == grpc.StatusCode.UNAUTHENTICATED, watcher.details
        assert "expired" in watcher.details
    finally:
        watcher.close()


def test_streams_past_the_process_maximum_are_resource_exhausted(stack, client, tmp_path):
    read_addr, stream_addr = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {"FEED_READ_ADDR": read_addr, "FEED_STREAM_ADDR": stream_addr, "FEED_STREAM_MAX": "1"}
    proc = start_feed_process(stack, "read-one-stream", ["serve", "read"], tmp_path, **env)
    author, first, second = new_user(), new_user(), new_user()
    client.follow(first, author)
    try:
        wait_listening(proc, stream_addr)
        held = watch_live(client, stream_addr, first, author)
        refused = Watcher(stream_addr, second, client.acting_as(second))
        assert refused.wait_for(lambda w: w.ended is not None)
        assert refused.ended == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.details
        assert held.ended is None
        held.close()
        refused.close()
    finally:
        proc.stop()
