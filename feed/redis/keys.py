"""The one owner of the Redis key layout and the timeline bounds.

Every Redis key the system uses is built here, so the layout can change in one
place. Timelines are grouped into TIMELINE_SHARDS hash-tagged shards: in Redis
Cluster every key of one shard shares a slot, so a fan-out batch can hand all
the timelines of one shard to a single server-side function call.

Keys of an organization other than the default (0) start with `feed:o<org>:`,
so one organization's keys can be found (SCAN MATCH) and deleted whole; the
default organization keeps the plain `feed:` names. Two kinds of keys are by
id alone, since ids are unique across organizations: post cache entries (by
post id) and rate-limit buckets (by user id, one for writes and one for reads). Both expire, and an organization's
deletion drops them post by post (post_key) and user by user
(user_keys_outside_org_prefix).
"""

from __future__ import annotations

from feed.domain import Source

TIMELINE_MAX = 800  # readers never see more entries than this (FEED_TIMELINE_MAX overrides)
# A push trims only once a list has grown this far past its bound, so trimming
# costs one LTRIM per TIMELINE_SLACK pushes instead of one per push.
TIMELINE_SLACK = 200
TIMELINE_SHARDS = 1024  # hash-tag groups; fixed for the life of a deployment

# List sentinels (at the tail; ids are never 0 and never letters):
COMPLETE_MARK = b"0"  # the list holds the whole timeline, however short (even empty)
BUILDING_MARK = b"b"  # a rebuild is in progress: readers wait, pushes still land


def timeline_shard(user_id: int) -> int:
    """The shard (and so the cluster slot group) of a user's home timeline."""
    return user_id % TIMELINE_SHARDS


def org_prefix(org_id: int) -> str:
    """The start of every key of one organization."""
    return "feed:" if org_id == 0 else f"feed:o{org_id}:"


def org_key_pattern(org_id: int) -> str:
    """A SCAN MATCH pattern for every key of an organization other than the default."""
    if org_id == 0:
        raise ValueError("the default organization's keys carry no prefix of their own")
    return f"feed:o{org_id}:*"


def home_timeline_key(user_id: int, org_id: int = 0) -> str:
    """A user's home timeline: a Redis list of post ids, newest first."""
    return f"{org_prefix(org_id)}tl:{{{timeline_shard(user_id)}}}:{user_id}"


def repost_index_key(timeline_key: str) -> str:
    """The companion of a home timeline: repost id -> original id of the reposts pushed into it
    (feed.lua tl_repost, docs/reposts.md). The timeline's hash tag, so both are in one cluster slot."""
    prefix, tag, rest = timeline_key.rpartition("tl:{")
    if not tag:
        raise ValueError(f"not a home timeline key: {timeline_key}")
    return f"{prefix}tr:{{{rest}"


def relationship_version_key(user_id: int, org_id: int = 0) -> str:
    """A random value that changes whenever the user's follows, groups or blocks change (feed/access/versions.py).

    The home timeline's hash tag, so it is read in the same slot as the user's page on a cluster."""
    return f"{org_prefix(org_id)}rv:{{{timeline_shard(user_id)}}}:{user_id}"


def post_key(post_id: int) -> str:
    """The cached, serialized post (an empty value is a deletion tombstone)."""
    return f"feed:post:{post_id}"


def rate_limit_key(user_id: int) -> str:
    """A user's write token bucket (feed/access/rate_limit.py); hash-tagged, so one slot in a cluster."""
    return f"feed:rl:{{{user_id}}}"


def read_rate_limit_key(user_id: int) -> str:
    """A user's read token bucket, apart from the write one: reading never spends a write's budget."""
    return f"feed:rrl:{{{user_id}}}"


def user_keys_outside_org_prefix(user_id: int) -> list[str]:
    """A user's keys that org_key_pattern does not find: a deleted organization drops them user by user."""
    return [rate_limit_key(user_id), read_rate_limit_key(user_id)]


def read_time_sources_key(org_id: int = 0) -> str:
    """The set of an organization's read-time sources (Source.to_member of each).

    The name predates groups as sources: it stays, so a deployment's Redis keeps its data."""
    return f"{org_prefix(org_id)}celebrities"


def read_time_version_key(org_id: int = 0) -> str:
    """The version of an organization's set of read-time sources: bumped on every change of its members.

    Its hash tag is the set's whole name, so both hash to one cluster slot (a key without a
    tag hashes whole) and one function call reads or changes them together."""
    return f"{org_prefix(org_id)}{{{read_time_sources_key(org_id)}}}:version"


def source_posts_key(source: Source, org_id: int = 0) -> str:
    """A read-time source's posts that were not fanned out: a bounded id list like a home timeline.

    Hash-tagged by the author or group id, so the list and its calls stay in one cluster slot."""
    if source.group_id:
        return f"{org_prefix(org_id)}gp:{{{source.group_id}}}"
    return f"{org_prefix(org_id)}cp:{{{source.author_id}}}"


# Pub/sub channel (not a key): the fan-out worker publishes one message per applied batch (the posts,
# deletions and graph changes it applied: feed/fanout/notify.py); every read process's streams listen.
# PUBLISH reaches the subscribers of every node of a Redis Cluster, so one channel serves them all.
APPLIED_CHANNEL = "feed:applied"
