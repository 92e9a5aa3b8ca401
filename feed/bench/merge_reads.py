"""Reads that merge at read time: readers who follow 5 read-time authors and are members of 2 read-time groups.

Issue 21 asks what a page costs when the merge is not trivial. A set of users
(MergeReaders: the users after the bench's readers, so the other read figures
keep their own population) follow MERGE_AUTHORS authors and are members of
MERGE_GROUPS groups; those 7 sources are registered as read-time sources of the
organization and their lists filled, exactly as the fan-out worker does for
sources above the threshold (RedisReadTimeSources.push). The run's worker keeps its
threshold of 1,000,000 (feed/bench/stack.py): no source of this phase posts
during the run, and retirement only touches sources idle for the retention (7
days), so the registry stays as set here. The read path does not look at the
threshold: it merges every registered source the reader follows or is in.

The newest ROUNDS_WITH_HOME rounds also push one post by each of HOME_AUTHORS of
the readers' followed (prefill) authors into their home timelines, so a first
page interleaves the home timeline with the 7 lists: 8 lists merged, every
filter applied. Set up after the other read figures (the registry would change
their pages: one more directory to consult), and checked with one
GetHomeTimeline call before the load.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import redis

from feed.bench.channels import feed_stub, keys_of
from feed.bench.first_pages import first_pages
from feed.bench.graph import BenchGraph
from feed.bench.plan import Plan
from feed.bench.prefill import POST_TEXT
from feed.bench.reads import run_reads
from feed.bench.stack import BenchStack
from feed.domain import OPEN, REGULAR, Group, Post, Source
from feed.ids import IdGenerator
from feed.loadkit.tokens import TokenProvider
from feed.redis.connection import RedisFunctions
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key
from feed.store import open_store
from feed.timeline.sources import RedisReadTimeSources
from feed.v1 import feed_service_pb2

MERGE_AUTHORS = 5
MERGE_GROUPS = 2
MERGE_AUTHOR_BASE = 3_000_000_000  # above every other bench author (feed/bench/graph.py)
HOME_AUTHORS = 7  # prefill authors whose newest posts interleave with the read-time lists
ROUNDS_WITH_HOME = 40  # the newest rounds push home posts too: two pages' worth of interleaving
PAGE_SIZE = 20  # the load generator's (feed/bench/loadgen.py)
CHECK_TIMEOUT_S = 10.0
PUSH_READERS = 500  # home timelines per pipelined round trip of the setup's pushes
Listed = list[tuple[Source, Post]]  # posts of the read-time sources, oldest first


@dataclasses.dataclass(frozen=True)
class MergeReaders:
    """Who reads with a merge, what they merge, and who writes in their groups."""

    readers: list[int]
    authors: list[int]  # followed, read-time
    groups: list[int]  # joined, read-time
    posters: list[int]  # one author per group, a member of it
    home_authors: list[int]  # followed, fanned out on write (the bench's prefill authors)

    def sources(self) -> list[Source]:
        return [*(Source(author_id=a) for a in self.authors), *(Source(group_id=g) for g in self.groups)]


def merge_readers(graph: BenchGraph, count: int, ids: IdGenerator) -> MergeReaders:
    """count users after the bench's readers, five new authors, two new groups (ids from ids)."""
    if graph.readers + count > graph.users:
        raise ValueError("not enough users for the merge readers")
    authors = [MERGE_AUTHOR_BASE + n for n in range(MERGE_AUTHORS)]
    posters = [MERGE_AUTHOR_BASE + MERGE_AUTHORS + n for n in range(MERGE_GROUPS)]
    return MergeReaders(
        readers=list(range(graph.readers + 1, graph.readers + count + 1)),
        authors=authors,
        groups=[ids.next_id() for _ in range(MERGE_GROUPS)],
        posters=posters,
        home_authors=[a.author_id for a in graph.prefill[:HOME_AUTHORS]],
    )


def merge_posts(who: MergeReaders, ids: IdGenerator, rounds: int, now_ms: int) -> tuple[Listed, list[Post]]:
    """rounds posts of every source, oldest first, and home posts in the newest ROUNDS_WITH_HOME rounds."""
    listed: Listed = []
    home: list[Post] = []
    posters = dict(zip(who.groups, who.posters, strict=True))
    for n in range(rounds):
        for source in who.sources():
            author = source.author_id or posters[source.group_id]
            listed.append((source, Post(ids.next_id(), author, POST_TEXT, now_ms, group_id=source.group_id)))
        if n >= rounds - ROUNDS_WITH_HOME:
            home += [Post(ids.next_id(), a, POST_TEXT, now_ms) for a in who.home_authors]
    return listed, home


def load_merge_store(store_url: str, who: MergeReaders, posts: list[Post], now_ms: int) -> None:
    """The follows, groups, memberships and posts in the store (the truth the read guard asks)."""
    store = open_store(store_url)
    try:
        followed = [*who.authors, *who.home_authors]
        store.graph.load_follows((reader, author) for reader in who.readers for author in followed)
        store.orgs.load_bindings((user, 0) for user in [*who.authors, *who.posters])
        for group, poster in zip(who.groups, who.posters, strict=True):
            store.orgs.create_group(Group(group, 0, f"bench group {group}", OPEN, REGULAR, poster, now_ms))
            for member in [poster, *who.readers]:
                store.orgs.add_member(group, member)
        store.posts.load_posts(posts)
    finally:
        store.close()


def fill_merge_redis(
    client: redis.Redis, who: MergeReaders, listed: Listed, home: list[Post], max_entries: int
) -> None:
    """The registry and the sources' lists as the fan-out worker leaves them; home posts pushed to the readers."""
    functions = RedisFunctions(client)
    RedisReadTimeSources(functions, max_entries).push([(s, p.post_id) for s, p in listed])
    ids = [p.post_id for p in home]  # oldest first: each lands on the head
    args = [max_entries, TIMELINE_SLACK, *ids]
    for start in range(0, len(who.readers), PUSH_READERS):
        readers = who.readers[start : start + PUSH_READERS]
        functions.call_many([("tl_push", [home_timeline_key(r)] * len(ids), args) for r in readers])


def expected_page(listed: Listed, home: list[Post]) -> list[int]:
    """A merge reader's first page: the newest PAGE_SIZE of everything this phase posted."""
    return sorted([p.post_id for _, p in listed] + [p.post_id for p in home], reverse=True)[:PAGE_SIZE]


def check_first_page(base: dict[str, Any], reader: int, expected: list[int]) -> None:
    """One GetHomeTimeline call: the page must be the merge of the home timeline and the read-time lists."""
    tokens = TokenProvider(keys_of(base["secret_file"]), issued_at=base["tokens_issued_at"])
    channel, stub = feed_stub(base["read_addrs"])
    try:
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=reader, page_size=PAGE_SIZE)
        page = stub.GetHomeTimeline(request, timeout=CHECK_TIMEOUT_S, metadata=tokens.metadata(reader))
    finally:
        channel.close()
    got = [p.post_id for p in page.posts]
    if got != expected:
        raise RuntimeError(f"a merge reader's page is not the merge of its sources: {got} != {expected}")


def run_merge_phase(
    stack: BenchStack, client: redis.Redis, graph: BenchGraph, plan: Plan, ids: IdGenerator, base: dict[str, Any]
) -> dict[str, Any]:
    """Set up the merge readers, check one page, warm them up, then read at each of plan.merge_rates, as
    the plain reads are measured: latency (read_merge_rps, read_merge_p99_ms) at the first rate, the
    latency target's; read_merge_cpu_us_per_page (read replicas' CPU per page) and the achieved rate at
    the highest, where the headline read_cpu_us_per_page is measured too (a page's CPU falls as the rate
    rises: compare like with like); the CPU per page at every rate as read_merge_cpu_us_per_page_at_RATE."""
    now_ms = int(time.time() * 1000)
    who = merge_readers(graph, plan.merge_readers, ids)
    listed, home = merge_posts(who, ids, stack.settings.timeline_max, now_ms)
    load_merge_store(stack.settings.store_url, who, [p for _, p in listed] + home, now_ms)
    fill_merge_redis(client, who, listed, home, stack.settings.timeline_max)
    spec = {**base, "readers": who.readers}
    check_first_page(spec, who.readers[0], expected_page(listed, home))
    # Every reader's guard facts are new to each replica: their first pages first, on every replica
    # (feed/bench/first_pages.py), so the figure is the steady state's.
    first_pages(spec, who.readers)
    rates = list(plan.merge_rates)
    figures = run_reads(spec, rates, plan.read_seconds, stack.read_pids())
    latency, cpu = rates[0], max(rates)
    return {
        "read_merge_offered_rps": latency,
        "read_merge_rps": figures[f"read_achieved_rps_at_{latency}"],
        "read_merge_p50_ms": figures[f"read_p50_ms_at_{latency}"],
        "read_merge_p99_ms": figures[f"read_p99_ms_at_{latency}"],
        "read_merge_errors": figures[f"read_errors_at_{latency}"],
        "read_merge_latencies_ms": figures[f"read_latencies_ms_at_{latency}"],
        "read_merge_cpu_rps": cpu,
        f"read_merge_rps_{cpu}": figures[f"read_achieved_rps_at_{cpu}"],
        f"read_merge_p99_ms_{cpu}": figures[f"read_p99_ms_at_{cpu}"],
        "read_merge_cpu_us_per_page": figures[f"read_cpu_us_per_page_at_{cpu}"],
        **{f"read_merge_cpu_us_per_page_at_{r}": figures[f"read_cpu_us_per_page_at_{r}"] for r in rates},
    }
