"""Bounded retries with jittered exponential backoff: the policy (pure) and the loop that applies it.

Only calls that are safe to repeat are retried: reads, writes whose repetition changes nothing
(follow, block, mute, join...), and CreatePost, whose one idempotency key per logical post makes
the server answer a repeat with the post it already created.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import grpc

from feed.client.errors import error_of

T = TypeVar("T")

# A call that failed on these never reached a server that answered: the same request again may succeed.
RETRY_UNAVAILABLE = frozenset({grpc.StatusCode.UNAVAILABLE})
# CreatePost with its key may also repeat a call whose deadline passed: the first may have created the post,
# and the repeat then returns that same post.
RETRY_CREATE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
NO_RETRY: frozenset[grpc.StatusCode] = frozenset()


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n+1 a pause of about initial_s * multiplier**n, capped at max_s,
    jittered to between half and all of it so clients that failed together do not retry together."""

    attempts: int = 5
    initial_s: float = 0.1
    multiplier: float = 2.0
    max_s: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.initial_s < 0 or self.multiplier < 1 or self.max_s < self.initial_s:
            raise ValueError("RetryPolicy needs attempts >= 1, multiplier >= 1 and 0 <= initial_s <= max_s")

    def pause(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `retry` (0 for the first retry)."""
        ceiling = min(self.max_s, self.initial_s * self.multiplier**retry)
        return ceiling / 2 + rand() * ceiling / 2

    def pauses(self, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """The pauses between the attempts: attempts - 1 of them."""
        return (self.pause(n, rand) for n in range(self.attempts - 1))


def call_with_retry(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    retry_on: frozenset[grpc.StatusCode],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """attempt() until it returns, retrying the statuses in retry_on as the policy allows;
    a failure that is not retried (or the last one) raises its typed FeedError."""
    pauses = policy.pauses()
    while True:
        try:
            return attempt()
        except grpc.RpcError as err:
            if err.code() not in retry_on:
                raise error_of(err) from None
            pause = next(pauses, None)
            if pause is None:
                raise error_of(err) from None
        sleep(pause)
