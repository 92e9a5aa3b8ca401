"""Benchmark setup written straight into the store and Redis, not through the services.

The graph and the posts that fill timelines go in through the store's own bulk
loads (whichever backend the run's store URL names), and every home timeline is created full in Redis: one list per
shard is pushed, then copied to the shard's other users (COPY stays within one
hash slot, so this works on a cluster too). Timelines get 800 to 999 entries,
spread by shard, so trims during the run are spread too, as in steady state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import redis

from feed.bench.graph import BenchGraph, followers_of
from feed.domain import Post
from feed.errors import Unavailable
from feed.ids import IdGenerator
from feed.redis.keys import TIMELINE_SHARDS, TIMELINE_SLACK, home_timeline_key, timeline_shard
from feed.store import open_store

POST_TEXT = "a benchmark post of about the length people write, with a few words more to hydrate " * 2
PIPELINE_COMMANDS = 5_000
LOAD_PIECE = 200  # items of one bulk-load call in a lean load: a timeout costs one piece
LOAD_ATTEMPTS = 5
RETRY_PAUSE_S = 1.0


def new_posts(ids: IdGenerator, authors: Iterable[int], now_ms: int) -> list[Post]:
    """One post per author id given (in order), with fresh increasing ids."""
    return [Post(ids.next_id(), author, POST_TEXT, now_ms) for author in authors]


def load_store(store_url: str, graph: BenchGraph, posts: list[Post], lean: bool = False) -> None:
    """Every follow edge, every user's binding and the posts, through the store's bulk loads.

    lean (a lean graph, on Cassandra): only the users who call (readers and authors) are
    bound, and each load goes in small pieces, a piece retried when the store times out."""
    store = open_store(store_url)  # the schema, exactly as the services create it
    try:
        edges = ((follower, a.author_id) for a in graph.all_authors() for follower in followers_of(a, graph.users))
        # Every user has signed in before (to the default organization), as on a live
        # deployment: a read binds no one, it only looks the binding up once per process.
        bound = graph.readers if lean else graph.users
        users = [*range(1, bound + 1), *(a.author_id for a in graph.all_authors())]
        loads = [(store.graph.load_follows, edges), (store.orgs.load_bindings, ((user, 0) for user in users))]
        for load, items in [*loads, (store.posts.load_posts, posts)]:
            if lean:
                load_in_pieces(load, items)
            else:
                load(items)
    finally:
        store.close()


def load_in_pieces(load: Callable[[list], None], items: Iterable, attempts: int = LOAD_ATTEMPTS) -> None:
    """load() LOAD_PIECE items at a time, a piece again when the store timed out (Unavailable).

    A one-node Cassandra on a busy two-core machine times out lightweight transactions now
    and then. Every bulk load is idempotent, so a piece written in part is written again
    whole; only a follower count may miss an edge whose transaction applied unseen."""
    for piece in _chunks(list(items), LOAD_PIECE):
        for attempt in range(1, attempts + 1):
            try:
                load(piece)
                break
            except Unavailable:
                if attempt == attempts:
                    raise
                time.sleep(RETRY_PAUSE_S * attempt)  # a back-off: the node is behind, give it time


def add_posts(store_url: str, posts: list[Post]) -> None:
    """Store posts (the fan-out phase's) before their events are produced."""
    store = open_store(store_url)
    try:
        store.posts.load_posts(posts)
    finally:
        store.close()


def timeline_length(shard: int, max_entries: int) -> int:
    """Entries a prefilled timeline of this shard starts with: max_entries .. max_entries + slack - 1."""
    return max_entries + shard % TIMELINE_SLACK


def fill_timelines(client: redis.Redis, users: int, newest_first: list[int], max_entries: int) -> int:
    """Create every user's home timeline, full and truncated (no completion mark); return entries written."""
    if len(newest_first) < max_entries + TIMELINE_SLACK - 1:
        raise ValueError("not enough post ids to fill a timeline to its slack")
    by_shard: dict[int, list[int]] = {}
    for user in range(1, users + 1):
        by_shard.setdefault(timeline_shard(user), []).append(user)
    commands = []
    entries = 0
    for shard in range(TIMELINE_SHARDS):
        members = by_shard.get(shard, [])
        if not members:
            continue
        length = timeline_length(shard, max_entries)
        first = home_timeline_key(members[0])
        commands.append(("RPUSH", first, *newest_first[:length]))
        commands += [("COPY", first, home_timeline_key(user)) for user in members[1:]]
        entries += length * len(members)
    for chunk in _chunks(commands):
        pipe = client.pipeline(transaction=False)
        for command in chunk:
            pipe.execute_command(*command)
        pipe.execute()
    return entries


def _chunks(items: list, size: int = PIPELINE_COMMANDS) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
