"""The bench's merging readers: what their setup writes is a home timeline that merges 7 read-time sources."""

from __future__ import annotations

import json

import pytest

from feed.bench.graph import build_graph
from feed.bench.merge_reads import (
    MERGE_AUTHORS,
    MERGE_GROUPS,
    expected_page,
    fill_merge_redis,
    load_merge_store,
    merge_posts,
    merge_readers,
)
from feed.bench.prefill import fill_timelines, load_store, new_posts
from feed.bench.report import table, write_json
from feed.ids import IdGenerator
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.redis.connection import RedisFunctions
from feed.redis.keys import TIMELINE_SLACK
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore

MAX_ENTRIES = 50
NOW_MS = 1_700_000_000_000


def test_merge_readers_are_users_after_the_bench_readers_with_five_authors_and_two_groups():
    graph = build_graph(200, 20, fanout_authors=2, probes_per_size=1, background=3)
    who = merge_readers(graph, 30, IdGenerator(node=9))
    assert who.readers == list(range(21, 51))
    assert len(who.sources()) == MERGE_AUTHORS + MERGE_GROUPS == 7
    assert not set(who.authors) & {a.author_id for a in graph.all_authors()}
    with pytest.raises(ValueError):
        merge_readers(graph, 181, IdGenerator(node=9))


def test_a_merge_readers_page_interleaves_the_home_timeline_with_every_read_time_source(redis_client, tmp_path):
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    graph = build_graph(200, 20, fanout_authors=2, probes_per_size=1, background=3)
    ids = IdGenerator(node=9)
    authors = [a.author_id for a in graph.prefill]
    prefill = new_posts(ids, [authors[n % len(authors)] for n in range(MAX_ENTRIES + TIMELINE_SLACK)], NOW_MS)
    load_store(url, graph, prefill)
    fill_timelines(redis_client, graph.users, [p.post_id for p in reversed(prefill)], MAX_ENTRIES)
    who = merge_readers(graph, 30, ids)
    listed, home = merge_posts(who, ids, MAX_ENTRIES, NOW_MS)
    load_merge_store(url, who, [p for _, p in listed] + home, NOW_MS)
    fill_merge_redis(redis_client, who, listed, home, MAX_ENTRIES)

    functions = RedisFunctions(redis_client)
    read_time = RedisReadTimeSources(functions, MAX_ENTRIES)
    assert read_time.registered() == set(who.sources())
    store = open_store(url)
    try:
        reader = HomeTimelineReader(
            store,
            RedisTimelineStore(functions, MAX_ENTRIES),
            read_time,
            Hydrator(RedisPostCache(redis_client, 600), store.posts),
        )
        for user in (who.readers[0], who.readers[-1]):
            page = reader.read(user, None, 20)
            assert [p.post_id for p in page.posts] == expected_page(listed, home)
            sources = {p.group_id or p.author_id for p in page.posts}
            assert set(who.authors) | set(who.groups) <= sources  # all 7 lists merged
            assert sources & set(who.home_authors)  # and the home timeline with them
        bench_reader = reader.read(1, None, 20)  # the bench's own readers merge nothing
        assert {p.author_id for p in bench_reader.posts} <= {a.author_id for a in graph.prefill}
    finally:
        store.close()


def test_the_merging_reads_have_a_row_a_target_and_a_verdict(tmp_path):
    figures = {
        "read_merge_offered_rps": 1000,
        "read_merge_rps": 998.0,
        "read_merge_p99_ms": 12.5,
        "read_merge_cpu_rps": 2000,
        "read_merge_rps_2000": 1990.0,
        "read_merge_cpu_us_per_page": 810.0,
        "read_merge_cpu_us_per_page_at_1000": 930.0,
        "read_merge_latencies_ms": [1.0, 2.0],
    }
    rows = {line.split("  ")[0]: line for line in table(figures).splitlines()}
    assert "998.0" in rows["merging reads (5 read-time authors, 2 groups): rate at 1,000"]
    assert "12.5 ms" in rows["merging reads: p99 at 1,000 offered"]
    assert "1,990" in rows["merging reads: achieved rate at 2,000 offered"]
    cpu = rows["merging reads: read-service CPU per page at 2,000"]  # at the highest rate, as the plain reads'
    assert "810.0 us" in cpu and "<= 750.0 us" in cpu and cpu.endswith("NO")
    assert "930.0 us" in rows["merging reads: CPU per page at 1,000 offered"]
    write_json(tmp_path / "bench.json", figures)
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written["target_read_merge_cpu_us_per_page"] is False
    assert "read_merge_latencies_ms" not in written
