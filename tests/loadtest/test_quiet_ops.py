"""Mutes and keyword filters in traces: generated at a small rate, each undo naming what the trace made,
through the format both ways, recorded by their creates, and replayed against the real stack."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from feed.actions.quiet import MAX_FILTERS
from feed.loadtest.generate import generate, write_trace
from feed.loadtest.messages import _FILLER, from_request, to_request
from feed.loadtest.params import QUIET_MIX, GeneratorParams, parse_mix
from feed.loadtest.quiet import FILTER_DURATIONS_S, MUTE_DURATIONS_S
from feed.loadtest.record import TraceRecorder
from feed.loadtest.runner import Replay, ReplayOptions
from feed.loadtest.stream import MIN_REF_AGE_MS
from feed.loadtest.trace import TraceReader
from feed.v1 import filter_service_pb2, graph_service_pb2
from tests.loadtest.credentials import metadata_for

QUIET = tuple(QUIET_MIX)


def test_a_default_trace_mutes_and_filters_at_a_small_rate_and_undoes_only_what_it_made():
    header, records = generate(GeneratorParams(users=300, requests=40_000, rate=500.0))
    records = list(records)
    stream = records[-header.counts["stream"] :]
    counts = Counter(r["rpc"] for r in stream)
    for rpc, percent in QUIET_MIX.items():  # about the mix's share: 30 to 120 of each 40,000
        assert 0.6 * percent / 100 < counts[rpc] / len(stream) < 1.4 * percent / 100, (rpc, counts[rpc])
    assert sum(counts[rpc] for rpc in QUIET) / len(stream) < 0.01  # rare next to reads and posts
    mutes: dict[tuple[int, int], list[int]] = {}  # (muter, muted) -> t of each mute not undone yet, oldest first
    filters: dict[int, tuple[int, int]] = {}  # ordinal of a CreateFilter -> (t, user), until deleted
    for n, r in enumerate(records):
        if r["rpc"] == "Mute":
            assert r["muter_id"] != r["muted_id"] and r.get("duration_s", 0) in MUTE_DURATIONS_S
            mutes.setdefault((r["muter_id"], r["muted_id"]), []).append(r["t"])
        elif r["rpc"] == "Unmute":
            muted_at = mutes[(r["muter_id"], r["muted_id"])].pop(0)  # a mute the trace made (the same twice: twice)...
            assert r["t"] - muted_at >= MIN_REF_AGE_MS  # ...long enough ago to be answered
        elif r["rpc"] == "CreateFilter":
            assert 3 <= r["phrase_len"] <= 40 and r.get("duration_s", 0) in FILTER_DURATIONS_S
            filters[n] = (r["t"], r["user_id"])
            assert sum(user == r["user_id"] for _, user in filters.values()) <= MAX_FILTERS
        elif r["rpc"] == "DeleteFilter":
            made_at, owner = filters.pop(r["filter_ref"])  # deleted once, by its owner
            assert r["user_id"] == owner and r["t"] - made_at >= MIN_REF_AGE_MS
    assert any(r.get("whole_word") for r in stream) and any("duration_s" in r for r in stream)


def test_mix_without_quiet_kinds_writes_none_of_them():
    _, records = generate(GeneratorParams(users=50, requests=2000, mix=parse_mix("GetHomeTimeline=60,CreatePost=40")))
    assert not {r["rpc"] for r in records} & set(QUIET)


def test_an_undo_with_nothing_to_undo_yet_becomes_a_mute_or_a_filter():
    mix = parse_mix("Unmute=50,DeleteFilter=50")
    _, records = generate(GeneratorParams(users=50, requests=500, mix=mix))
    kinds = Counter(r["rpc"] for r in records if r["rpc"] in QUIET)
    assert kinds["Mute"] > 0 and kinds["CreateFilter"] > 0 and kinds["Unmute"] > 0 and kinds["DeleteFilter"] > 0


def test_quiet_requests_round_trip_through_the_trace_format_without_the_phrase():
    mute = graph_service_pb2.MuteRequest(muter_id=3, muted_id=4, duration_s=3600)
    unmute = graph_service_pb2.UnmuteRequest(muter_id=3, muted_id=4)
    forever = graph_service_pb2.MuteRequest(muter_id=3, muted_id=4)
    for rpc, request in (("Mute", mute), ("Unmute", unmute), ("Mute", forever)):
        record = from_request(rpc, request, lambda post_id: None)
        assert to_request({**record, "rpc": rpc}) == request
    create = filter_service_pb2.CreateFilterRequest(user_id=3, phrase="My Secret Topic", whole_word=True, duration_s=60)
    record = from_request("CreateFilter", create, lambda post_id: None)
    assert record == {"user_id": 3, "phrase_len": 15, "whole_word": True, "duration_s": 60}  # no phrase: user data
    sent = to_request({**record, "rpc": "CreateFilter"})
    assert (sent.user_id, sent.whole_word, sent.duration_s) == (3, True, 60)
    assert 14 <= len(sent.phrase) <= 15 and sent.phrase not in _FILLER  # hides no replayed post
    delete = filter_service_pb2.DeleteFilterRequest(user_id=3, filter_id=987)
    record = from_request("DeleteFilter", delete, lambda post_id: None, filter_ref_of={987: 12}.get)
    assert record == {"user_id": 3, "filter_ref": 12}
    assert to_request({**record, "rpc": "DeleteFilter"}, filter_id=987) == delete
    assert from_request("DeleteFilter", delete, lambda post_id: None) is None  # made before the trace


def test_a_recorded_delete_filter_names_its_create_and_one_of_an_unknown_filter_is_skipped(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path) as rec:
        n = rec.record("CreateFilter", filter_service_pb2.CreateFilterRequest(user_id=5, phrase="spoiler"))
        rec.created_filter(n, filter_id=4242)
        rec.record("DeleteFilter", filter_service_pb2.DeleteFilterRequest(user_id=5, filter_id=4242))
        rec.record("DeleteFilter", filter_service_pb2.DeleteFilterRequest(user_id=5, filter_id=4242))  # gone
        rec.record("Mute", graph_service_pb2.MuteRequest(muter_id=5, muted_id=6))
    with TraceReader(path) as reader:
        records, end = list(reader), reader.end
    assert [r["rpc"] for r in records] == ["CreateFilter", "DeleteFilter", "Mute"]
    assert records[1]["filter_ref"] == n and "phrase" not in records[0]
    assert end["skipped"] == {"DeleteFilter: filter not created in this recording": 1}


@pytest.mark.integration
def test_a_trace_heavy_with_mutes_and_filters_replays_without_errors(stack, tmp_path):
    mix = parse_mix("GetHomeTimeline=40,CreatePost=20,Follow=10,Mute=10,Unmute=5,CreateFilter=10,DeleteFilter=5")
    params = GeneratorParams(
        users=40, requests=400, rate=100.0, graph_rate=2000.0, mean_follows=6, celebrities=1, mix=mix,
        id_base=random.randrange(1 << 42, 1 << 43),  # users of their own on the shared stack
    )  # fmt: skip
    header = write_trace(params, tmp_path / "quiet.jsonl.gz", progress=False)
    with TraceReader(tmp_path / "quiet.jsonl.gz") as reader:
        sent = Counter(r["rpc"] for r in reader)
    s = stack.settings
    options = ReplayOptions(s.write_addr, s.read_addr, speed=2, visibility_sample=0.0, progress=False)
    result = Replay([tmp_path / "quiet.jsonl.gz"], options, metadata_for(stack)).run()
    assert result["requests"] == header.counts["requests"]
    assert (result["errors"], result["skipped"]) == (0, 0), (result["by_rpc"], result["skipped_by_reason"])
    assert {rpc: stats["count"] for rpc, stats in result["by_rpc"].items()} == dict(sent)
    assert set(QUIET) <= set(sent)
