from __future__ import annotations

import gzip
import json

import pytest

from feed.loadtest.trace import TraceError, TraceHeader, TraceReader, TraceWriter, merge

RECORDS = [
    {"t": 0, "rpc": "Follow", "follower_id": 2, "followee_id": 1},
    {"t": 0, "rpc": "CreatePost", "author_id": 1, "text_len": 42, "key": "g1"},
    {"t": 5, "rpc": "GetHomeTimeline", "user_id": 2, "page_size": 20},
    {"t": 9, "rpc": "GetHomeTimeline", "user_id": 2, "page_size": 20, "next": True},
    {"t": 12, "rpc": "DeletePost", "author_id": 1, "post_ref": 1},
]


def _write(path, records=RECORDS, header=None):
    with TraceWriter(path, header or TraceHeader(source="generate", seed=3, counts={"requests": len(records)})) as w:
        ordinals = [w.write(r) for r in records]
    return ordinals


@pytest.mark.parametrize("name", ["trace.jsonl.gz", "trace.jsonl"])
def test_records_round_trip_compressed_or_plain(tmp_path, name):
    ordinals = _write(tmp_path / name)
    with TraceReader(tmp_path / name) as reader:
        assert reader.header.seed == 3
        assert reader.header.counts == {"requests": 5}
        assert list(reader) == RECORDS
        assert not reader.truncated
    assert ordinals == [0, 1, 2, 3, 4]


def test_the_file_is_gzip_json_lines_with_a_header_first(tmp_path):
    _write(tmp_path / "t.jsonl.gz")
    lines = gzip.decompress((tmp_path / "t.jsonl.gz").read_bytes()).splitlines()
    assert json.loads(lines[0])["format"] == "feed-trace"
    assert json.loads(lines[0])["version"] == 1
    assert [json.loads(line) for line in lines[1:]] == RECORDS


def test_an_offset_going_back_in_time_is_refused_with_its_line(tmp_path):
    _write(tmp_path / "t.jsonl", [RECORDS[2], RECORDS[0]])
    with TraceReader(tmp_path / "t.jsonl") as reader, pytest.raises(TraceError, match=r"t.jsonl:3: offset 0 goes back"):
        list(reader)


def test_an_unknown_rpc_or_a_foreign_file_is_refused(tmp_path):
    _write(tmp_path / "t.jsonl", [{"t": 0, "rpc": "DropTables"}])
    with TraceReader(tmp_path / "t.jsonl") as reader, pytest.raises(TraceError, match="unknown rpc"):
        list(reader)
    (tmp_path / "other.jsonl").write_text('{"format": "something-else"}\n')
    with pytest.raises(TraceError, match="not a feed-trace file"):
        TraceReader(tmp_path / "other.jsonl")
    (tmp_path / "future.jsonl").write_text('{"format": "feed-trace", "version": 99}\n')
    with pytest.raises(TraceError, match="version 99"):
        TraceReader(tmp_path / "future.jsonl")


def test_a_trailer_ends_the_records_and_is_kept(tmp_path):
    with TraceWriter(tmp_path / "t.jsonl.gz", TraceHeader(source="record")) as w:
        w.write(RECORDS[0])
        w.write_end({"requests": 1, "skipped": {"GetPost: post not created in this recording": 2}})
    with TraceReader(tmp_path / "t.jsonl.gz") as reader:
        assert list(reader) == [RECORDS[0]]
        assert reader.end["skipped"] == {"GetPost: post not created in this recording": 2}


def test_a_recording_cut_by_a_crash_reads_up_to_its_last_flush(tmp_path):
    writer = TraceWriter(tmp_path / "t.jsonl.gz", TraceHeader(source="record"))
    for record in RECORDS[:3]:
        writer.write(record)
    writer.flush()
    cut = (tmp_path / "t.jsonl.gz").read_bytes()  # no gzip trailer: as if the process died here
    writer.close()
    (tmp_path / "cut.jsonl.gz").write_bytes(cut)
    with TraceReader(tmp_path / "cut.jsonl.gz") as reader:
        assert list(reader) == RECORDS[:3]
        assert reader.truncated


def test_merging_recordings_aligns_them_on_their_wall_clock_start(tmp_path):
    write = [
        {"t": 0, "rpc": "CreatePost", "author_id": 1, "text_len": 1},
        {"t": 30, "rpc": "Follow", "follower_id": 2, "followee_id": 1},
    ]
    read = [{"t": 0, "rpc": "GetHomeTimeline", "user_id": 2}, {"t": 50, "rpc": "GetUserTimeline", "user_id": 1}]
    _write(tmp_path / "w.jsonl.gz", write, TraceHeader(source="record", start_unix_ms=1_000_010))
    _write(tmp_path / "r.jsonl.gz", read, TraceHeader(source="record", start_unix_ms=1_000_000))
    readers = [TraceReader(tmp_path / "w.jsonl.gz"), TraceReader(tmp_path / "r.jsonl.gz")]
    merged = list(merge(readers))
    assert [(src, n, r["rpc"], r["t"]) for src, n, r in merged] == [
        (1, 0, "GetHomeTimeline", 0),
        (0, 0, "CreatePost", 10),
        (0, 1, "Follow", 40),
        (1, 1, "GetUserTimeline", 50),
    ]


def test_a_recordings_idle_lead_in_is_not_replayed(tmp_path):
    late = [{**r, "t": r["t"] + 20_000} for r in RECORDS]  # the service ran 20 s before its first call
    _write(tmp_path / "t.jsonl.gz", late, TraceHeader(source="record", start_unix_ms=1))
    with TraceReader(tmp_path / "t.jsonl.gz") as reader:
        assert [r for _, _, r in merge([reader])] == RECORDS
