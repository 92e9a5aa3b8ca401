"""Per-user rate limits, token buckets kept in Redis so every replica shares them.

One call of the library function rl_take per check (feed/redis/lua/feed.lua):
refill by elapsed time on Redis's own clock, take a token or say how long until
one is due. Writes and reads have buckets of their own (feed/redis/keys.py),
each with a hash tag per user, so they work unchanged in Redis Cluster. A bucket
expires once it would be full again, so a user's flood leaves one key behind.
"""

from __future__ import annotations

from collections.abc import Callable

from feed.errors import ResourceExhausted
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
        if self._rate <= 0:
            return  # limit disabled
        wait_ms = int(self._fn.call("rl_take", [self._key_of(user_id)], [self._rate, self._burst]))
        if wait_ms > 0:
            raise ResourceExhausted(
                f"too many {self._what}; retry after {wait_ms / 1000:.3f} s", retry_after_ms=wait_ms
            )


def read_limiter(client: RedisClient, rate_per_s: float, burst: int) -> RedisRateLimiter:
    """The limiter of reads (GetPost, timelines, lists): a bucket of its own, apart from writes'."""
    return RedisRateLimiter(client, rate_per_s, burst, read_rate_limit_key, "reads")
