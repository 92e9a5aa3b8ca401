"""Per-user write rate limit, a token bucket kept in Redis so every replica shares it.

One small Lua script per check: refill by elapsed time (Redis's own clock, so
replicas with skewed clocks agree), take a token or say how long until one is
due. The key carries a hash tag per user, so it works unchanged in Redis Cluster.
"""

from __future__ import annotations

import redis

from feed.errors import ResourceExhausted

_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, ts = burst, now_ms end
tokens = math.min(burst, tokens + (now_ms - ts) * rate / 1000)
local wait_ms = 0
if tokens >= 1 then tokens = tokens - 1 else wait_ms = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 't', tokens, 'ts', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait_ms
"""


def rate_limit_key(user_id: int) -> str:
    return f"feed:rl:{{{user_id}}}"


class RedisRateLimiter:
    """Allows each user `rate` writes per second on average, in bursts of up to `burst`."""

    def __init__(self, client: redis.Redis, rate_per_s: float, burst: int) -> None:
        self._script = client.register_script(_TAKE)
        self._rate = rate_per_s
        self._burst = burst

    def take(self, user_id: int) -> None:
        """Spend one write of user_id's budget, or raise ResourceExhausted with the wait."""
        if self._rate <= 0:
            return  # limit disabled
        wait_ms = int(self._script(keys=[rate_limit_key(user_id)], args=[self._rate, self._burst]))
        if wait_ms > 0:
            raise ResourceExhausted(f"too many writes; retry after {wait_ms / 1000:.3f} s", retry_after_ms=wait_ms)
