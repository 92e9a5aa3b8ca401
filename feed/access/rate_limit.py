"""Per-user write rate limit, a token bucket kept in Redis so every replica shares it.

One call of the library function rl_take per check (feed/redis/lua/feed.lua):
refill by elapsed time on Redis's own clock, take a token or say how long until
one is due. The key carries a hash tag per user (feed/redis/keys.py), so it
works unchanged in Redis Cluster.
"""

from __future__ import annotations

from feed.errors import ResourceExhausted
from feed.redis.connection import RedisClient, RedisFunctions
from feed.redis.keys import rate_limit_key


class RedisRateLimiter:
    """Allows each user `rate` writes per second on average, in bursts of up to `burst`."""

    def __init__(self, client: RedisClient, rate_per_s: float, burst: int) -> None:
        self._fn = RedisFunctions(client)
        self._rate = rate_per_s
        self._burst = burst

    def take(self, user_id: int) -> None:
        """Spend one write of user_id's budget, or raise ResourceExhausted with the wait."""
        if self._rate <= 0:
            return  # limit disabled
        wait_ms = int(self._fn.call("rl_take", [rate_limit_key(user_id)], [self._rate, self._burst]))
        if wait_ms > 0:
            raise ResourceExhausted(f"too many writes; retry after {wait_ms / 1000:.3f} s", retry_after_ms=wait_ms)
