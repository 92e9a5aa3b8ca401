"""watch(): WatchHomeTimeline as an iterator that reconnects by itself, from the last resume_token.

Every event carries a resume_token; a new stream opened with it first sends what came after that
event, then goes on live. So reconnecting from the last token delivers every post once: none lost
while disconnected, none twice. What the server could not deliver comes as a Gap event.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator

import grpc

from feed.client.errors import error_of
from feed.client.retry import RetryPolicy
from feed.client.tokens import TokenSource, expires_at
from feed.client.types import WatchEvent, event_of
from feed.errors import Unavailable

# Ends after which the same stream, opened again from its last token, goes on. A server shutting down
# or restarting and a dropped connection end in UNAVAILABLE; a server shedding a burst of opens in
# CANCELLED; a full one in RESOURCE_EXHAUSTED (with a retry-after hint).
RESUMABLE = frozenset(
    {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)
BACKOFF = RetryPolicy(attempts=1, initial_s=0.2, multiplier=2.0, max_s=5.0)  # only its pauses are used
RENEW_AHEAD_MAX_S = 30.0  # a renewable token is replaced this long before its exp (less for short-lived ones)

OpenStream = Callable[[str, str], grpc.Call]  # (bearer token, page token) -> a WatchHomeTimeline call


class Resume:
    """Where a watch resumes, and how long it waits before reconnecting (pure: no I/O, no clock)."""

    def __init__(
        self,
        token: str,
        backoff: RetryPolicy = BACKOFF,
        max_failures: int | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.token = token
        self._backoff = backoff
        self._rand = rand
        self._max_failures = max_failures  # None: reconnect for as long as the caller iterates
        self._failures = 0  # ends in a row without an event between
        self._refused = False  # the last end was UNAUTHENTICATED

    def seen(self, resume_token: str) -> None:
        """An event arrived: resume after it, and count failures from zero again."""
        self.token = resume_token
        self._failures = 0
        self._refused = False

    def pause_after(self, code: grpc.StatusCode, renewed: bool, retry_after_s: float = 0.0) -> float | None:
        """Seconds to wait before reconnecting after a stream ended with code, or None: give up.

        renewed: a fresh token is at hand (the client cancelled to renew, or the source answered a new
        one after UNAUTHENTICATED); a token refused twice in a row without an event gives up."""
        if code == grpc.StatusCode.UNAUTHENTICATED:
            if self._refused or not renewed:
                return None
            self._refused = True
            return 0.0
        if renewed and code == grpc.StatusCode.CANCELLED:
            return 0.0  # we cancelled it ourselves, to open it again with a fresh token
        if code not in RESUMABLE:
            return None
        self._failures += 1
        if self._max_failures is not None and self._failures > self._max_failures:
            return None
        return max(self._backoff.pause(self._failures - 1, self._rand), retry_after_s)


class Watch:
    """An iterator of WatchEvents that resumes by itself; close() (or leaving a `with`) ends it."""

    def __init__(
        self,
        open_stream: OpenStream,
        user_id: int,
        tokens: TokenSource,
        resume: Resume,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._open = open_stream
        self._user = user_id
        self._tokens = tokens
        self._resume = resume
        self._stopped = threading.Event()
        self._sleep = sleep or self._stopped.wait  # a pause that close() cuts short
        self._call: grpc.Call | None = None
        self._closed = False
        self._events = self._run()

    @property
    def resume_token(self) -> str:
        """The token after the last event received: keep it to resume later, in another process too."""
        return self._resume.token

    def __iter__(self) -> Iterator[WatchEvent]:
        return self

    def __next__(self) -> WatchEvent:
        return next(self._events)

    def close(self) -> None:
        """End the watch, from any thread: the open stream is cancelled and iteration stops."""
        self._closed = True  # set before cancelling: the loop reads it once the call ends
        call = self._call
        if call is not None:
            call.cancel()
        self._stopped.set()  # wakes a backoff pause
        # Runs the generator's finally when it is paused at a yield. ValueError: it is running in another
        # thread, which stops once it sees _closed.
        with contextlib.suppress(ValueError):
            self._events.close()

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> Iterator[WatchEvent]:
        while not self._closed:
            token = self._tokens(self._user)
            call = self._call = self._open(token, self._resume.token)
            if self._closed:  # close() ran while this call was opening: it may have missed it
                call.cancel()
            renewal = _Renewal(call, token, lambda: self._tokens(self._user))
            try:
                for message in call:
                    if not message.resume_token:  # a heartbeat (or a kind this client does not know): no position
                        continue
                    event = event_of(message)
                    self._resume.seen(message.resume_token)  # before yielding: a caller who stops here resumes after it
                    if event is not None:
                        yield event
                code, error = grpc.StatusCode.OK, None
            except grpc.RpcError as err:
                code, error = err.code(), err
            finally:
                renewal.cancel()
                call.cancel()  # a no-op once ended; ends the stream when the caller closes us mid-way
            if self._closed:
                return
            renewed = renewal.fired or (code == grpc.StatusCode.UNAUTHENTICATED and self._tokens(self._user) != token)
            failure = error_of(error) if error is not None else Unavailable("the stream kept ending")
            pause = self._resume.pause_after(code, renewed, getattr(failure, "retry_after_ms", 0) / 1000)
            if pause is None:
                raise failure
            self._sleep(pause)


class _Renewal:
    """Cancels a stream shortly before its token expires if the source has a fresher token by then;
    the watch then reconnects at once with it, from its last resume_token."""

    def __init__(self, call: grpc.Call, token: str, fresh: Callable[[], str]) -> None:
        self.fired = False
        self._call = call
        self._exp = expires_at(token)
        self._fresh = fresh
        self._timer: threading.Timer | None = None
        if self._exp is not None:
            left = self._exp - time.time()
            self._timer = threading.Timer(max(0.0, left - min(RENEW_AHEAD_MAX_S, left / 5)), self._check)
            self._timer.daemon = True
            self._timer.start()

    def _check(self) -> None:
        fresh = self._fresh()
        if (expires_at(fresh) or 0) > (self._exp or 0):  # a fixed token never gets here: the stream ends at exp
            self.fired = True  # set before cancelling: the reader thread reads it once the call ends
            self._call.cancel()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
