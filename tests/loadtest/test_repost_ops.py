"""Reposts in traces: generated at a small rate, each Unrepost undoing a Repost the trace made, through
the format both ways, recorded by their reposts, and replayed against the real stack."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from feed.loadtest.generate import generate, write_trace
from feed.loadtest.messages import from_request, to_request
from feed.loadtest.params import REPOST_MIX, GeneratorParams, parse_mix
from feed.loadtest.record import TraceRecorder
from feed.loadtest.runner import Replay, ReplayOptions
from feed.loadtest.stream import MIN_REF_AGE_MS
from feed.loadtest.trace import TraceReader
from feed.v1 import post_service_pb2
from tests.loadtest.credentials import metadata_for

REPOSTS = tuple(REPOST_MIX)


def test_a_default_trace_reposts_at_a_small_rate_and_unreposts_only_what_it_reposted():
    header, records = generate(GeneratorParams(users=300, requests=40_000, rate=500.0))
    records = list(records)
    stream = records[-header.counts["stream"] :]
    counts = Counter(r["rpc"] for r in stream)
    for rpc, percent in REPOST_MIX.items():  # about the mix's share: 40 and 400 of 40,000
        assert 0.6 * percent / 100 < counts[rpc] / len(stream) < 1.4 * percent / 100, (rpc, counts[rpc])
    assert counts["Repost"] < counts["CreatePost"] / 5  # rare next to posts
    posts: dict[int, int] = {}  # ordinal of a CreatePost -> its t, until deleted
    reposts: dict[int, tuple[int, int]] = {}  # ordinal of a Repost -> (t, reposter), until undone
    for n, r in enumerate(records):
        if r["rpc"] == "CreatePost" and "group_ref" not in r:
            posts[n] = r["t"]
        elif r["rpc"] == "DeletePost":
            del posts[r["post_ref"]]
        elif r["rpc"] == "Repost":
            assert r["t"] - posts[r["post_ref"]] >= MIN_REF_AGE_MS  # a live post of the trace, answered by then
            reposts[n] = (r["t"], r["user_id"])
        elif r["rpc"] == "Unrepost":
            reposted_at, reposter = reposts.pop(r["repost_ref"])  # undone once, by its reposter
            assert r["user_id"] == reposter and r["t"] - reposted_at >= MIN_REF_AGE_MS


def test_an_unrepost_with_nothing_to_undo_yet_becomes_a_repost_and_a_repost_before_any_post_a_post():
    _, records = generate(GeneratorParams(users=50, requests=2000, mix=parse_mix("Repost=50,Unrepost=50")))
    kinds = Counter(r["rpc"] for r in records)
    assert kinds["CreatePost"] > 0 and kinds["Repost"] > kinds["Unrepost"] > 0


def test_reposts_round_trip_through_the_trace_format_naming_what_the_trace_made():
    repost = post_service_pb2.RepostRequest(user_id=3, post_id=555)
    record = from_request("Repost", repost, {555: 7}.get)
    assert record == {"user_id": 3, "post_ref": 7}
    assert to_request({**record, "rpc": "Repost"}, post_id=555) == repost
    assert from_request("Repost", repost, lambda post_id: None) is None  # a post made before the trace
    unrepost = post_service_pb2.UnrepostRequest(user_id=3, post_id=555)
    record = from_request("Unrepost", unrepost, {555: 7}.get, repost_ref_of={(3, 555): 9}.get)
    assert record == {"user_id": 3, "repost_ref": 9}
    assert to_request({**record, "rpc": "Unrepost"}, post_id=555) == unrepost
    assert from_request("Unrepost", unrepost, {555: 7}.get) is None  # a repost made before the trace


def test_a_recorded_unrepost_names_its_repost_and_one_of_an_unknown_repost_is_skipped(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path) as rec:
        post = rec.record("CreatePost", post_service_pb2.CreatePostRequest(author_id=4, text="share me"))
        rec.created(post, post_id=555)
        n = rec.record("Repost", post_service_pb2.RepostRequest(user_id=5, post_id=555))
        rec.created_repost(n, 5, 555)
        rec.record("Unrepost", post_service_pb2.UnrepostRequest(user_id=5, post_id=555))
        rec.record("Unrepost", post_service_pb2.UnrepostRequest(user_id=5, post_id=555))  # undone already
        rec.record("Repost", post_service_pb2.RepostRequest(user_id=5, post_id=999))  # not of this recording
    with TraceReader(path) as reader:
        records, end = list(reader), reader.end
    assert [r["rpc"] for r in records] == ["CreatePost", "Repost", "Unrepost"]
    assert (records[1]["post_ref"], records[2]["repost_ref"]) == (post, n)
    assert end["skipped"] == {
        "Unrepost: repost not created in this recording": 1,
        "Repost: post not created in this recording": 1,
    }


@pytest.mark.integration
def test_a_trace_heavy_with_reposts_replays_without_errors(stack, tmp_path):
    mix = parse_mix("GetHomeTimeline=40,CreatePost=20,Follow=10,DeletePost=5,Repost=20,Unrepost=5")
    params = GeneratorParams(
        users=40, requests=800, rate=100.0, graph_rate=2000.0, mean_follows=6, celebrities=1, mix=mix,
        id_base=random.randrange(1 << 42, 1 << 43),  # users of their own on the shared stack
    )  # fmt: skip
    header = write_trace(params, tmp_path / "reposts.jsonl.gz", progress=False)
    with TraceReader(tmp_path / "reposts.jsonl.gz") as reader:
        sent = Counter(r["rpc"] for r in reader)
    s = stack.settings
    options = ReplayOptions(s.write_addr, s.read_addr, speed=2, visibility_sample=0.0, progress=False)
    result = Replay([tmp_path / "reposts.jsonl.gz"], options, metadata_for(stack)).run()
    assert result["requests"] == header.counts["requests"]
    errors = {rpc: s["errors_by_code"] for rpc, s in result["by_rpc"].items() if s["errors"]}
    assert (result["errors"], result["skipped"]) == (0, 0), (errors, result["skipped_by_reason"])
    assert {rpc: stats["count"] for rpc, stats in result["by_rpc"].items()} == dict(sent)
    assert set(REPOSTS) <= set(sent)
