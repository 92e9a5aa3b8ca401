"""The Redis key layout: the names a deployment's data already lives under, and which keys an
organization's deletion finds."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from feed.access.rate_limit import RedisRateLimiter, read_limiter
from feed.domain import Source
from feed.redis.keys import (
    home_timeline_key,
    org_key_pattern,
    post_key,
    rate_limit_key,
    read_rate_limit_key,
    read_time_sources_key,
    read_time_version_key,
    source_posts_key,
    user_keys_outside_org_prefix,
)


def test_the_default_organization_keeps_the_plain_names():
    assert home_timeline_key(1025) == "feed:tl:{1}:1025"  # shard 1025 % 1024
    assert read_time_sources_key() == "feed:celebrities"
    assert source_posts_key(Source(author_id=7)) == "feed:cp:{7}"
    assert source_posts_key(Source(group_id=9)) == "feed:gp:{9}"


def test_another_organization_s_keys_carry_its_prefix():
    assert home_timeline_key(5, org_id=3) == "feed:o3:tl:{5}:5"
    assert read_time_sources_key(3) == "feed:o3:celebrities"
    assert source_posts_key(Source(author_id=7), 3) == "feed:o3:cp:{7}"
    assert source_posts_key(Source(group_id=9), 3) == "feed:o3:gp:{9}"


def test_keys_by_id_alone_carry_no_organization():
    assert post_key(123) == "feed:post:123"
    assert rate_limit_key(42) == "feed:rl:{42}"
    assert read_rate_limit_key(42) == "feed:rrl:{42}"


def test_the_default_organization_has_no_pattern_of_its_own():
    with pytest.raises(ValueError):
        org_key_pattern(0)


@pytest.mark.integration
def test_an_organization_s_pattern_finds_its_keys_and_no_one_else_s(redis_client):
    mine = [home_timeline_key(5, 3), read_time_sources_key(3), read_time_version_key(3)]
    mine.append(source_posts_key(Source(group_id=9), 3))
    others = [home_timeline_key(5, 30), home_timeline_key(5), read_time_sources_key(), post_key(5), rate_limit_key(5)]
    for key in mine + others:
        redis_client.set(key, "x")
    assert sorted(k.decode() for k in redis_client.scan_iter(match=org_key_pattern(3))) == sorted(mine)


@pytest.mark.integration
def test_the_rate_limit_buckets_a_write_and_a_read_leave_are_the_keys_a_deletion_drops_one_by_one(redis_client):
    RedisRateLimiter(redis_client, rate_per_s=1, burst=2).take(42)
    read_limiter(redis_client, rate_per_s=1, burst=2).take(42)
    written = {k.decode() for k in redis_client.scan_iter()}
    assert written == set(user_keys_outside_org_prefix(42))


@pytest.mark.parametrize("org_id", [0, 3])
def test_a_registry_and_its_version_share_a_cluster_slot(org_id):
    assert key_slot(read_time_version_key(org_id).encode()) == key_slot(read_time_sources_key(org_id).encode())
