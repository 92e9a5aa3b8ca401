"""The write rate limit's Redis call (rl_take in the function library), on a standalone Redis and a
Redis Cluster."""

from __future__ import annotations

import pytest

from feed.access.rate_limit import RedisRateLimiter
from feed.errors import ResourceExhausted
from feed.redis.connection import connect
from feed.redis.keys import rate_limit_key

pytestmark = pytest.mark.integration


@pytest.fixture(params=["standalone", "cluster"])
def client(request):
    url = request.getfixturevalue("redis_url" if request.param == "standalone" else "redis_cluster_url")
    client = connect(url)
    client.flushall()
    yield client
    client.close()


def test_a_burst_passes_and_the_next_write_is_told_how_long_to_wait(client):
    limiter = RedisRateLimiter(client, rate_per_s=2, burst=3)
    for _ in range(3):
        limiter.take(7)
    with pytest.raises(ResourceExhausted) as refused:
        limiter.take(7)
    assert 0 < refused.value.retry_after_ms <= 500  # one token every 500 ms
    limiter.take(8)  # another user's budget is their own


def test_the_bucket_expires_once_it_would_be_full_again(client):
    RedisRateLimiter(client, rate_per_s=2, burst=3).take(7)
    assert 0 < client.pttl(rate_limit_key(7)) <= 3 * 500 + 1000


def test_a_redis_that_lost_the_library_still_limits(client):
    limiter = RedisRateLimiter(client, rate_per_s=1, burst=1)
    limiter.take(7)
    client.function_flush()  # on a cluster: every primary
    with pytest.raises(ResourceExhausted):
        limiter.take(7)


def test_a_rate_of_zero_turns_the_limit_off_without_a_call(client):
    limiter = RedisRateLimiter(client, rate_per_s=0, burst=1)
    for _ in range(5):
        limiter.take(7)
    assert not client.exists(rate_limit_key(7))
