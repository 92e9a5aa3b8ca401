"""The one owner of the Redis key layout and the timeline bounds.

Every Redis key the system uses is built here, so the layout can change in one
place. Timelines are grouped into TIMELINE_SHARDS hash-tagged shards: in Redis
Cluster every key of one shard shares a slot, so a fan-out batch can hand all
the timelines of one shard to a single server-side function call.
"""

from __future__ import annotations

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


def home_timeline_key(user_id: int) -> str:
    """A user's home timeline: a Redis list of post ids, newest first."""
    return f"feed:tl:{{{timeline_shard(user_id)}}}:{user_id}"


def post_key(post_id: int) -> str:
    """The cached, serialized post (an empty value is a deletion tombstone)."""
    return f"feed:post:{post_id}"


CELEBRITIES_KEY = "feed:celebrities"  # set of authors whose posts were not fanned out on write


def celebrity_posts_key(author_id: int) -> str:
    """A celebrity's posts that were not fanned out: a bounded id list like a home timeline."""
    return f"feed:cp:{{{author_id}}}"
