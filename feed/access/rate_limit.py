"""Per-user rate limits, token buckets kept in Redis so every replica shares them.

One call of the library function rl_take per check (feed/redis/lua/feed.lua):
refill by elapsed time on Redis's own clock, take a token or say how long until
one is due. Writes and reads have buckets of their own (feed/redis/keys.py),
each with a hash tag per user, so they work unchanged in Redis Cluster. A bucket
expires once it would be full again, so a user's flood leaves one key behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feed.errors import ResourceExhausted
from feed.redis.calls import Call
from feed.redis.connection import RedisClient, RedisFunctions
from feed.redis.keys import rate_limit_key, read_rate_limit_key


class RedisRateLimiter:
    """Allows each user `rate` calls per second on average, in bursts of up to `burst`."""

    def __init__(
        self,
        client: RedisClient,
        rate_per_s: float,
        burst: int,
        key_of: Callable[[int], str] = rate_limit_key,
        what: str = "writes",
    ) -> None:
        self._fn = RedisFunctions(client)
        self._rate = rate_per_s
        self._burst = burst
        self._key_of = key_of
        self._what = what

    def take(self, user_id: int) -> None:
        """Spend one call of user_id's budget, or raise ResourceExhausted with the wait."""
        budget = self.budget(user_id)
        if budget is not None:
            budget.settle_alone()

    def budget(self, user_id: int) -> Budget | None:
        """One call's spending, to send along with the call's own first round trip; None if unlimited."""
        return None if self._rate <= 0 else Budget(self, user_id)

    def _call(self, user_id: int) -> Call:
        return ("rl_take", [self._key_of(user_id)], [self._rate, self._burst])

    def _settle(self, reply: Any) -> None:
        wait_ms = int(reply)
        if wait_ms > 0:
            message = f"too many {self._what}; retry after {wait_ms / 1000:.3f} s"
            raise ResourceExhausted(message, retry_after_ms=wait_ms)


class Budget:
    """One spending of a user's budget that rides in the pipeline of the call's own first Redis round
    trip (a home page: feed/timeline/store.py page_with_sources), so the limit costs no round trip of
    its own. settle() raises ResourceExhausted before anything of the answer is used."""

    def __init__(self, limiter: RedisRateLimiter, user_id: int) -> None:
        self._limiter = limiter
        self._user_id = user_id

    def call(self) -> Call:
        return self._limiter._call(self._user_id)

    def settle(self, reply: Any) -> None:
        self._limiter._settle(reply)

    def settle_alone(self) -> None:
        """Spend it in a round trip of its own (a backend that cannot pipeline it)."""
        name, keys, args = self.call()
        self.settle(self._limiter._fn.call(name, keys, args))


def read_limiter(client: RedisClient, rate_per_s: float, burst: int) -> RedisRateLimiter:
    """The limiter of reads (GetPost, timelines, lists): a bucket of its own, apart from writes'."""
    return RedisRateLimiter(client, rate_per_s, burst, read_rate_limit_key, "reads")
