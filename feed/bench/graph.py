"""The benchmark's social graph: who follows whom, as pure, deterministic data.

Users 1..users each have a full home timeline. Every author's followers are a
contiguous run of user ids (wrapping around) starting at a spread-out offset,
so followers fall evenly over the timeline shards and follower lists are
ranges, not stored lists: the graph of a 100,000-user run costs no memory to
describe. Readers (users 1..readers) follow every prefill author, so the posts
that fill their timelines pass the read path's follow guard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

AUTHOR_BASE = 1_000_000_000  # author ids sit above every user id, so authors have no timelines of their own
PREFILL_AUTHOR_BASE = 2_000_000_000
PROBE_FOLLOWERS = (100, 1_000, 10_000)  # publish-to-visible is measured for authors of these sizes
# A lean graph (a second store's): every follow and binding is a lightweight transaction on
# Cassandra, a few hundred a second on this machine, so it keeps only what its figures need.
LEAN_READERS = 50
LEAN_PROBES_PER_SIZE = 2
LEAN_PROBE_MAX = 1_000  # the publish-to-visible target's scope
LEAN_BACKGROUND_FOLLOWERS = 20


@dataclasses.dataclass(frozen=True, slots=True)
class Author:
    author_id: int
    followers: int
    offset: int  # the first follower is user offset + 1


@dataclasses.dataclass(frozen=True)
class BenchGraph:
    """Everyone in one benchmark run and how they are connected."""

    users: int
    readers: int
    fanout: list[Author]  # authors whose posts the fan-out phase delivers (100 .. max followers)
    probes: dict[int, list[Author]]  # follower count -> authors whose posts are timed to visibility
    background: list[Author]  # authors posting during the mixed load
    prefill: list[Author]  # authors of the posts that fill every timeline

    def all_authors(self) -> list[Author]:
        probes = [a for group in self.probes.values() for a in group]
        return [*self.fanout, *probes, *self.background, *self.prefill]


def log_spaced(low: int, high: int, count: int) -> list[int]:
    """count integers from low to high, evenly spaced on a log scale (both ends included)."""
    if count == 1:
        return [low]
    ratio = (high / low) ** (1 / (count - 1))
    return [round(low * ratio**i) for i in range(count)]


def followers_of(author: Author, users: int) -> Iterator[int]:
    """The author's followers: a run of user ids from offset + 1, wrapping past `users`."""
    for i in range(author.followers):
        yield (author.offset + i) % users + 1


def build_graph(users: int, readers: int, fanout_authors: int, probes_per_size: int, background: int) -> BenchGraph:
    """The graph of one run; the same arguments give the same graph."""
    next_id = iter(range(AUTHOR_BASE, PREFILL_AUTHOR_BASE))
    stride = users // 7 + 1  # offsets walk the user ids so follower runs start all over

    def author(followers: int, n: int) -> Author:
        return Author(next(next_id), min(followers, users), (n * stride) % users)

    fanout = [author(f, n) for n, f in enumerate(log_spaced(100, users, fanout_authors))]
    probes = {
        size: [author(size, 100 + p * len(PROBE_FOLLOWERS) + i) for p in range(probes_per_size)]
        for i, size in enumerate(PROBE_FOLLOWERS)
        if size <= users
    }
    back = [author(f, 1000 + n) for n, f in enumerate(log_spaced(100, min(3000, users), background))]
    prefill = [Author(PREFILL_AUTHOR_BASE + n, readers, 0) for n in range(20)]
    return BenchGraph(users, readers, fanout, probes, back, prefill)


def lean_graph(graph: BenchGraph) -> BenchGraph:
    """The graph for a store's publish-to-visible and CreatePost figures only: no fan-out authors,
    the same probes up to 1,000 followers (fewer of them), few readers, small background authors."""
    return dataclasses.replace(
        graph,
        readers=LEAN_READERS,
        fanout=[],
        probes={size: group[:LEAN_PROBES_PER_SIZE] for size, group in graph.probes.items() if size <= LEAN_PROBE_MAX},
        background=[
            dataclasses.replace(a, followers=min(a.followers, LEAN_BACKGROUND_FOLLOWERS)) for a in graph.background
        ],
        prefill=[dataclasses.replace(a, followers=LEAN_READERS) for a in graph.prefill],
    )
