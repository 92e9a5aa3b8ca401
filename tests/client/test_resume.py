"""Resume bookkeeping and the watch loop, over scripted in-memory streams: no network, no clock."""

from __future__ import annotations

import time

import grpc
import jwt
import pytest

from feed.client import Gap, PostArrived, RetryPolicy, Unauthenticated
from feed.client.watch import Resume, Watch
from tests.client.doubles import InMemoryStream, InMemoryStreams, gap_event, heartbeat_event, post_event

UNAVAILABLE, UNAUTHENTICATED = grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
BACKOFF = RetryPolicy(attempts=1, initial_s=1.0, multiplier=2.0, max_s=4.0)


def test_pauses_grow_while_reconnects_fail_and_start_over_after_an_event():
    resume = Resume("", BACKOFF, rand=lambda: 1.0)
    assert [resume.pause_after(UNAVAILABLE, False) for _ in range(4)] == [1.0, 2.0, 4.0, 4.0]
    resume.seen("t1")
    assert resume.pause_after(UNAVAILABLE, False) == 1.0 and resume.token == "t1"


def test_a_servers_retry_after_hint_lengthens_the_pause():
    resume = Resume("", BACKOFF, rand=lambda: 1.0)
    assert resume.pause_after(grpc.StatusCode.RESOURCE_EXHAUSTED, False, retry_after_s=3.0) == 3.0


def test_errors_a_reconnect_cannot_fix_give_up():
    resume = Resume("", BACKOFF)
    assert resume.pause_after(grpc.StatusCode.PERMISSION_DENIED, False) is None
    assert resume.pause_after(grpc.StatusCode.INVALID_ARGUMENT, False) is None


def test_an_expired_token_is_renewed_once_but_a_token_refused_twice_in_a_row_gives_up():
    resume = Resume("", BACKOFF)
    assert resume.pause_after(UNAUTHENTICATED, renewed=False) is None  # a fixed token: nothing to renew
    assert resume.pause_after(UNAUTHENTICATED, renewed=True) == 0.0
    assert resume.pause_after(UNAUTHENTICATED, renewed=True) is None
    resume.seen("t")
    assert resume.pause_after(UNAUTHENTICATED, renewed=True) == 0.0


def test_max_failures_bounds_the_reconnects_in_a_row():
    resume = Resume("", BACKOFF, max_failures=2)
    assert resume.pause_after(UNAVAILABLE, False) is not None
    assert resume.pause_after(UNAVAILABLE, False) is not None
    assert resume.pause_after(UNAVAILABLE, False) is None


def test_a_dropped_stream_is_opened_again_from_the_last_events_token_and_nothing_repeats():
    streams = InMemoryStreams(
        InMemoryStream([post_event(1), post_event(2)], UNAVAILABLE),
        InMemoryStream([], UNAVAILABLE),  # the server is still down
        InMemoryStream([post_event(3), gap_event("g")], None),
        InMemoryStream([post_event(4)], grpc.StatusCode.PERMISSION_DENIED),
    )
    pauses: list[float] = []
    watch = Watch(streams, 9, lambda user: f"token-{user}", Resume("start", BACKOFF, rand=lambda: 1.0), pauses.append)
    events = []
    with pytest.raises(Exception, match="PERMISSION_DENIED"):
        events.extend(watch)

    assert [e.post.post_id for e in events if isinstance(e, PostArrived)] == [1, 2, 3, 4]
    assert [e.page_token for e in events if isinstance(e, Gap)] == ["g"]
    assert [page_token for _, page_token in streams.opened] == ["start", "after-2", "after-2", "top"]
    assert all(token == "token-9" for token, _ in streams.opened)
    assert pauses == [1.0, 2.0, 1.0]  # grew while the server stayed down, then started over after events


def test_a_fixed_token_that_expires_ends_the_watch_with_unauthenticated():
    streams = InMemoryStreams(InMemoryStream([post_event(1)], UNAUTHENTICATED))
    watch = Watch(streams, 9, lambda user: "fixed", Resume(""), lambda s: None)
    assert isinstance(next(watch), PostArrived)
    with pytest.raises(Unauthenticated):
        next(watch)


def test_closing_a_watch_cancels_its_stream_and_ends_iteration():
    stream = InMemoryStream([post_event(1), post_event(2)], None)
    watch = Watch(InMemoryStreams(stream), 9, lambda user: "t", Resume(""), lambda s: None)
    next(watch)
    watch.close()
    assert stream.cancelled
    assert list(watch) == []
    assert watch.resume_token == "after-1"


def test_a_stream_is_reopened_with_a_fresh_token_before_the_old_one_expires():
    """The source has a later-expiring token by the time the first nears its exp: the watch cancels
    and reopens with it from its last event, instead of letting the server end the stream."""
    short = jwt.encode({"exp": int(time.time()) + 2}, "k" * 32)
    fresh = jwt.encode({"exp": int(time.time()) + 3600}, "k" * 32)
    asked = []

    def tokens(user: int) -> str:
        asked.append(user)
        return short if len(asked) == 1 else fresh

    streams = InMemoryStreams(
        InMemoryStream([post_event(1)], hold=True), InMemoryStream([post_event(2)], PERMISSION_DENIED)
    )
    watch = Watch(streams, 9, tokens, Resume(""), lambda s: None)
    started = time.monotonic()
    assert next(watch).post.post_id == 1
    assert next(watch).post.post_id == 2  # after the renewal, not at a deadline: the first stream held on
    assert time.monotonic() - started < 2.5
    assert streams.opened == [(short, ""), (fresh, "after-1")]


def test_a_heartbeat_is_skipped_and_the_watch_resumes_after_the_last_real_event():
    streams = InMemoryStreams(
        InMemoryStream([heartbeat_event(), post_event(1), heartbeat_event()], UNAVAILABLE),
        InMemoryStream([post_event(2)], PERMISSION_DENIED),
    )
    watch = Watch(streams, 9, lambda user: "t", Resume("start", BACKOFF, rand=lambda: 1.0), lambda s: None)
    events = []
    with pytest.raises(Exception, match="PERMISSION_DENIED"):
        events.extend(watch)
    assert [e.post.post_id for e in events] == [1, 2]
    assert [page_token for _, page_token in streams.opened] == ["start", "after-1"]
