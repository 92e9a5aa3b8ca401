"""Who a post goes to, as Redis keys grouped by shard, and the function calls that deliver it.

Fan-out is the hot path: one post of an author with F followers is F timeline
writes. Python does per-follower work once per author and batch (building the
followers' timeline keys, grouped by shard: an Audience), never per delivery:
each post then goes out as its id plus the shard's key list, in calls of one
shard each (one hash slot, so a call stays one call on Redis Cluster), and a
call carries many posts. Building the calls is pure, so it is tested without
Redis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from feed.redis.keys import home_timeline_key, repost_index_key, timeline_shard

KEYS_PER_CALL = 1000  # bounds one function call's run time on the Redis server
# A pipeline ends at the first shard boundary past this many keys (or anywhere past 4 times
# as many): bounded memory, a run time far below the socket timeout, and a shard's calls
# rarely split over two pipelines, which may run concurrently on two connections.
KEYS_PER_ROUND_TRIP = 20_000

Call = tuple[str, list[str], list[Any]]


class Audience:
    """The home timeline keys of a set of users, grouped by shard; built once, reused for every post."""

    __slots__ = ("by_shard", "size")

    def __init__(self, user_ids: Iterable[int], org_id: int = 0) -> None:
        by_shard: dict[int, list[str]] = defaultdict(list)
        for user_id in dict.fromkeys(user_ids):  # an author who follows themself still gets one copy
            by_shard[timeline_shard(user_id)].append(home_timeline_key(user_id, org_id))
        self.by_shard: dict[int, list[str]] = dict(by_shard)
        self.size = sum(len(keys) for keys in self.by_shard.values())

    def __len__(self) -> int:
        return self.size


def fanout_calls(posts: Sequence[tuple[int, Audience]], max_entries: int, slack: int) -> Iterator[list[Call]]:
    """tl_fanout calls delivering each post to its audience, in pipelines of at most KEYS_PER_ROUND_TRIP keys.

    Posts are delivered oldest first within each shard, so a timeline that
    receives several of them takes Redis's cheap path (newer than the head)
    every time. A call holds (id, count) pairs: the next count keys get id.
    """
    per_shard: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
    for post_id, audience in sorted(posts, key=lambda p: p[0]):
        for shard, keys in audience.by_shard.items():
            per_shard[shard].append((post_id, keys))
    pipeline: list[Call] = []
    in_pipeline = 0
    for shard in sorted(per_shard):
        for call in _shard_calls(per_shard[shard], max_entries, slack):
            pipeline.append(call)
            in_pipeline += len(call[1])
            if in_pipeline >= 4 * KEYS_PER_ROUND_TRIP:
                yield pipeline
                pipeline, in_pipeline = [], 0
        if in_pipeline >= KEYS_PER_ROUND_TRIP:
            yield pipeline
            pipeline, in_pipeline = [], 0
    if pipeline:
        yield pipeline


def _shard_calls(groups: list[tuple[int, list[str]]], max_entries: int, slack: int) -> Iterator[Call]:
    """Calls for one shard: groups packed into calls of at most KEYS_PER_CALL keys, split where needed."""
    keys: list[str] = []
    args: list[Any] = [max_entries, slack]
    for post_id, group in groups:
        start = 0
        while start < len(group):
            part = group[start : start + KEYS_PER_CALL - len(keys)]
            keys += part
            args += (post_id, len(part))
            start += len(part)
            if len(keys) == KEYS_PER_CALL:
                yield ("tl_fanout", keys, args)
                keys, args = [], [max_entries, slack]
    if keys:
        yield ("tl_fanout", keys, args)


def repost_calls(reposts: Sequence[tuple[int, int, Audience]], max_entries: int, slack: int) -> list[Call]:
    """tl_repost calls delivering each (repost id, original id) to its audience: per shard, each timeline key
    followed by its companion (docs/reposts.md), at most KEYS_PER_CALL keys a call, oldest repost first."""
    per_shard: dict[int, list[tuple[int, int, list[str]]]] = defaultdict(list)
    for repost_id, original_id, audience in sorted(reposts, key=lambda r: r[0]):
        for shard, keys in audience.by_shard.items():
            per_shard[shard].append((repost_id, original_id, keys))
    calls: list[Call] = []
    per_call = KEYS_PER_CALL // 2
    for shard in sorted(per_shard):
        keys: list[str] = []
        args: list[Any] = [max_entries, slack]
        for repost_id, original_id, group in per_shard[shard]:
            for start in range(0, len(group), per_call):
                part = group[start : start + per_call]
                if len(keys) // 2 + len(part) > per_call:
                    calls.append(("tl_repost", keys, args))
                    keys, args = [], [max_entries, slack]
                keys += [k for key in part for k in (key, repost_index_key(key))]
                args += (repost_id, original_id, len(part))
        if keys:
            calls.append(("tl_repost", keys, args))
    return calls
