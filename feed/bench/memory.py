"""Redis bytes per home-timeline entry, from MEMORY USAGE over a sample of full timelines."""

from __future__ import annotations

import random

import redis

from feed.redis.keys import home_timeline_key


def bytes_per_entry(
    client: redis.Redis, users: list[int], sample: int, visible: int = 800, seed: int = 3
) -> dict[str, float]:
    """Total MEMORY USAGE (exact: SAMPLES 0) over total entries of a random sample of timelines.

    Entries include the key's share of overhead (key name, list header, node
    headers), which is what a timeline really costs per entry it holds. A full
    timeline holds its `visible` entries plus up to TIMELINE_SLACK more awaiting
    the next trim, so the cost per visible entry is reported too.
    """
    picked = random.Random(seed).sample(users, min(sample, len(users)))
    pipe = client.pipeline(transaction=False)
    for user in picked:
        key = home_timeline_key(user)
        pipe.memory_usage(key, samples=0)
        pipe.llen(key)
    replies = pipe.execute()
    used = sum(r or 0 for r in replies[0::2])
    entries = sum(replies[1::2])
    if entries == 0:
        raise ValueError("the sampled timelines are empty")
    return {
        "bytes_per_timeline_entry": round(used / entries, 2),
        "bytes_per_visible_entry": round(used / (len(picked) * visible), 2),
        "bytes_per_timeline": round(used / len(picked)),
        "timeline_entries_sampled": entries,
        "timelines_sampled": len(picked),
    }
