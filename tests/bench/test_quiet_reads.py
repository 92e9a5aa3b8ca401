"""The bench's filtered readers: 100 filters and 20 mutes each, which hide nothing the bench posts."""

from __future__ import annotations

import json
import time

import pytest

from feed.bench.graph import build_graph
from feed.bench.prefill import POST_TEXT, fill_timelines, load_store, new_posts
from feed.bench.quiet_reads import (
    FILTERS_PER_READER,
    MUTED_BASE,
    MUTES_PER_READER,
    PHRASES,
    filtered_ratio,
    listed_filters,
    prepare_quiet,
    quiet_rows,
    run_quiet_phase,
)
from feed.bench.report import table, write_json
from feed.domain import Post
from feed.ids import IdGenerator
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.read.quiet import quiet_of
from feed.redis.connection import RedisFunctions, connect
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key, relationship_version_key
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.integration.stack import eventually, new_user

MAX_ENTRIES = 50
NOW_MS = 1_700_000_000_000


def test_each_reader_has_100_distinct_phrases_a_third_whole_word_and_20_mutes_of_nobody_in_the_bench():
    filters, mutes = quiet_rows(7)
    assert len({f.phrase for f in filters}) == FILTERS_PER_READER and len(PHRASES) >= FILTERS_PER_READER
    assert sum(f.whole_word for f in filters) == 34
    assert len({f.filter_id for f in filters}) == FILTERS_PER_READER
    assert len({m.muted_id for m in mutes}) == MUTES_PER_READER and min(m.muted_id for m in mutes) >= MUTED_BASE
    assert [f.phrase for f in quiet_rows(8)[0]] != [f.phrase for f in filters]  # each reader its own draw
    assert quiet_rows(7) == (filters, mutes)  # the same every run


def test_no_phrase_hides_a_post_the_bench_writes_and_each_hides_a_post_saying_it():
    every = quiet_of([], [f for reader in range(1, 40) for f in quiet_rows(reader)[0]])
    for n, text in enumerate((POST_TEXT, "load post 1234567"), 1):
        assert not every.hides(Post(n, 1, text, NOW_MS)), text
    reader_filters = quiet_rows(3)[0]
    facts = quiet_of([], reader_filters)
    for n, f in enumerate(reader_filters, 10):
        assert facts.hides(Post(n, 1, f"Tonight: {f.phrase.upper()}!", NOW_MS)), f.phrase


def test_the_filters_and_mutes_reach_the_read_path_and_the_readers_get_new_versions(redis_client, tmp_path):
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    graph = build_graph(200, 20, fanout_authors=2, probes_per_size=1, background=3)
    ids = IdGenerator(node=9)
    authors = [a.author_id for a in graph.prefill]
    prefill = new_posts(ids, [authors[n % len(authors)] for n in range(MAX_ENTRIES + TIMELINE_SLACK)], NOW_MS)
    load_store(url, graph, prefill)
    fill_timelines(redis_client, graph.users, [p.post_id for p in reversed(prefill)], MAX_ENTRIES)
    functions = RedisFunctions(redis_client)
    store = open_store(url)
    try:
        reader = HomeTimelineReader(
            store,
            RedisTimelineStore(functions, MAX_ENTRIES),
            RedisReadTimeSources(functions, MAX_ENTRIES),
            Hydrator(RedisPostCache(redis_client, 600), store.posts),
        )
        readers = list(range(1, graph.readers + 1))
        before = {r: [p.post_id for p in reader.read(r, None, 20).posts] for r in (1, 20)}
        versions = {r: redis_client.get(relationship_version_key(r)) for r in (1, 20)}
        # a post that says the first (not whole-word) phrase of reader 1, by an author reader 1 follows
        phrase = next(f.phrase for f in quiet_rows(1)[0] if not f.whole_word)
        said = Post(ids.next_id(), prefill[0].author_id, f"no {phrase} please", NOW_MS + 1)
        store.posts.load_posts([said])
        functions.call_many([("tl_push", [home_timeline_key(1)], [MAX_ENTRIES, TIMELINE_SLACK, said.post_id])])

        prepare_quiet(redis_client, url, readers)

        mutes, filters = store.quiet.active_quiet(20, NOW_MS)
        assert (len(mutes), len(filters)) == (MUTES_PER_READER, FILTERS_PER_READER)
        for r in (1, 20):
            assert [p.post_id for p in reader.read(r, None, 20).posts] == before[r]  # the same page, said hidden
            assert redis_client.get(relationship_version_key(r)) not in (None, versions[r])
    finally:
        store.close()


def test_the_filtered_reads_have_a_row_a_ratio_and_a_verdict(tmp_path):
    figures = {"read_cpu_us_per_page": 1000.0, "read_cpu_us_per_page_filtered": 1250.0}
    figures.update(filtered_ratio(figures))
    assert figures["read_filtered_cpu_ratio"] == 1.25
    text = table(figures)
    assert "1,250 us" in text and "<= 1.2" in text and "NO" in text
    write_json(tmp_path / "bench.json", figures)
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written["target_read_filtered_cpu_ratio"] is False and written["read_cpu_us_per_page_filtered"] == 1250.0
    assert filtered_ratio({"read_cpu_us_per_page": 1000.0}) == {}  # no filtered run: no ratio


@pytest.mark.integration
def test_the_phase_runs_against_a_stack_and_refuses_filters_that_change_a_page(stack, client):
    """The whole phase on a running stack, tiny: the services see the loaded filters and the reads are
    counted; a reader whose page the filters change stops the run (the figures would not compare)."""
    author, readers = new_user(), [new_user(), new_user()]
    for reader in readers:
        client.follow(reader, author)
    posted = client.post(author, "a benchmark post").post_id
    eventually(lambda: all(posted in client.home_ids(r) for r in readers))
    base = {
        "read_addrs": [stack.settings.read_addr],
        "write_addr": stack.settings.write_addr,
        "secret_file": stack.settings.jwt_secret_file,
        "tokens_issued_at": int(time.time()),
        "readers": readers,
    }
    redis_client = connect(stack.settings.redis_url)
    figures = run_quiet_phase(redis_client, stack.settings.store_url, base, rate=20, seconds=1.0, pids=[])
    assert figures["read_filtered_errors"] == 0 and figures["read_cpu_us_per_page_filtered"] == 0.0  # no pids
    assert listed_filters(base, readers[1]) == FILTERS_PER_READER

    odd = new_user()
    client.follow(odd, author)
    phrase = next(f.phrase for f in quiet_rows(odd)[0] if not f.whole_word)
    said = client.post(author, f"about the {phrase}").post_id
    eventually(lambda: said in client.home_ids(odd))
    with pytest.raises(RuntimeError, match="hid a post"):
        run_quiet_phase(redis_client, stack.settings.store_url, {**base, "readers": [odd]}, 20, 1.0, [])
    assert said not in client.home_ids(odd)  # hidden by the filters the phase loaded
