from __future__ import annotations

import random
import statistics
import tracemalloc
from collections import Counter

import pytest

from feed.errors import InvalidArgument
from feed.loadtest.generate import generate, write_trace
from feed.loadtest.graph import build_graph
from feed.loadtest.params import GeneratorParams, parse_mix
from feed.loadtest.stream import MIN_REF_AGE_MS
from feed.loadtest.trace import TraceReader


def _records(**kw):
    header, records = generate(GeneratorParams(**{"users": 100, "requests": 3000, "rate": 500.0, **kw}))
    return header, list(records)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    params = GeneratorParams(users=80, requests=500, seed=11)
    write_trace(params, tmp_path / "a.jsonl.gz", progress=False)
    write_trace(params, tmp_path / "b.jsonl.gz", progress=False)
    write_trace(GeneratorParams(users=80, requests=500, seed=12), tmp_path / "c.jsonl.gz", progress=False)
    a, b, c = ((tmp_path / f"{n}.jsonl.gz").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def follower_counts(graph) -> list[int]:
    """Followers per user, by rank."""
    counts = [0] * graph.users
    for mine in graph.followees:
        for followee in mine:
            counts[graph.rank(followee)] += 1
    return counts


def test_followers_follow_a_power_law_with_a_celebrity_tail():
    graph = build_graph(random.Random(5), users=2000, mean_follows=20, celebrities=3, celebrity_reach=0.25)
    counts = follower_counts(graph)
    median = statistics.median(counts)
    assert min(counts[:3]) > 0.2 * 2000  # each celebrity: about a quarter of everyone
    assert max(counts) > 20 * max(median, 1)
    top_1_percent = sum(sorted(counts, reverse=True)[:20])
    assert top_1_percent > 0.2 * sum(counts)  # a few accounts hold a large share of all edges
    assert statistics.mean(len(f) for f in graph.followees) == pytest.approx(20, rel=0.15)


def test_the_graph_comes_first_then_a_stream_at_the_requested_rate():
    header, records = _records(requests=4000, rate=400.0)
    graph = header.counts["graph"]
    assert header.counts["requests"] == len(records) == graph + 4000
    assert {r["rpc"] for r in records[:graph]} == {"Follow"}
    offsets = [r["t"] for r in records]
    assert offsets == sorted(offsets)
    stream_span_s = (offsets[-1] - offsets[graph]) / 1000
    assert stream_span_s == pytest.approx(4000 / 400.0, rel=0.1)
    follows = {(r["follower_id"], r["followee_id"]) for r in records[:graph]}
    assert len(follows) == graph  # no edge twice, nobody follows themselves
    assert all(a != b for a, b in follows)


def test_the_stream_follows_the_mix():
    mix = parse_mix("GetHomeTimeline=50,CreatePost=30,GetUserTimeline=20")
    header, records = _records(requests=10_000, mix=mix)
    kinds = Counter(r["rpc"] for r in records[header.counts["graph"] :])
    assert set(kinds) == {"GetHomeTimeline", "CreatePost", "GetUserTimeline"}
    assert kinds["GetHomeTimeline"] / 10_000 == pytest.approx(0.5, abs=0.03)
    assert kinds["CreatePost"] / 10_000 == pytest.approx(0.3, abs=0.03)


def test_deletes_and_gets_name_an_earlier_create_that_has_had_time_to_answer():
    _, records = _records(requests=6000)
    deleted: set[int] = set()
    refs = 0
    for record in records:
        if record["rpc"] in ("DeletePost", "GetPost"):
            refs += 1
            created = records[record["post_ref"]]
            assert created["rpc"] == "CreatePost"
            assert record["t"] - created["t"] >= MIN_REF_AGE_MS
            assert record["post_ref"] not in deleted
            if record["rpc"] == "DeletePost":
                assert record["author_id"] == created["author_id"]
                deleted.add(record["post_ref"])
    assert refs > 100


def test_a_next_page_continues_an_earlier_read_of_the_same_list():
    _, records = _records(requests=6000)
    first_read: dict[tuple[str, int], int] = {}
    nexts = 0
    for record in records:
        if "user_id" in record:
            key = (record["rpc"], record["user_id"])
            if record.get("next"):
                nexts += 1
                assert record["t"] - first_read[key] >= MIN_REF_AGE_MS
            first_read.setdefault(key, record["t"])
    assert nexts > 100


def test_id_base_keeps_several_traces_apart():
    _, records = _records(users=50, requests=500, id_base=1_000_000)
    ids = {v for r in records for k, v in r.items() if k.endswith("_id")}
    assert min(ids) >= 1_000_001 and max(ids) <= 1_000_050


def test_bad_parameters_are_refused_with_a_clear_message():
    with pytest.raises(InvalidArgument, match="add up to 100"):
        generate(GeneratorParams(users=10, requests=10, mix=parse_mix("CreatePost=50")))
    with pytest.raises(InvalidArgument, match="unknown rpc"):
        parse_mix("Post=100")
    with pytest.raises(InvalidArgument, match="at least 2 users"):
        generate(GeneratorParams(users=1, requests=10))


def _peak_bytes(path, requests: int) -> int:
    tracemalloc.start()
    try:
        write_trace(GeneratorParams(users=500, requests=requests, rate=5000.0), path, progress=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_generating_streams_records_instead_of_holding_them(tmp_path):
    small = _peak_bytes(tmp_path / "small.jsonl.gz", 5_000)
    large = _peak_bytes(tmp_path / "large.jsonl.gz", 50_000)
    # Holding 45k more records would take ~20 MB; streaming, the peak is the graph and bounded pools.
    assert large < small + 1024 * 1024
    assert large < 4 * 1024 * 1024
    with TraceReader(tmp_path / "large.jsonl.gz") as reader:
        assert sum(1 for _ in reader) == reader.header.counts["requests"]


def test_the_bundled_demo_trace_is_what_its_header_says_made_it(tmp_path):
    from importlib.resources import files

    demo = files("feed.loadtest") / "data" / "demo-trace.jsonl.gz"
    with TraceReader(demo) as reader:
        header = reader.header
    write_trace(GeneratorParams(seed=header.seed, **header.params), tmp_path / "again.jsonl.gz", progress=False)
    assert (tmp_path / "again.jsonl.gz").read_bytes() == demo.read_bytes()
    assert header.counts["stream"] == 2000 and header.params["users"] == 200 and header.params["rate"] == 200.0
