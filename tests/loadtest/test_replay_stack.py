"""Replays against the real stack: a generated trace, and a recorded session that replays as recorded."""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter

import pytest

from feed.loadtest.generate import write_trace
from feed.loadtest.params import GeneratorParams, default_mix
from feed.loadtest.proxy import RecordingProxy
from feed.loadtest.record import TraceRecorder
from feed.loadtest.report import write_plots
from feed.loadtest.runner import Replay, ReplayOptions
from feed.loadtest.trace import RPCS, TraceReader
from feed.v1 import graph_service_pb2, post_service_pb2
from tests.integration.stack import Client, eventually, new_user
from tests.loadtest.credentials import client_for, metadata_for

pytestmark = pytest.mark.integration

PERCENTILES = ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")


def test_a_generated_trace_replays_every_request_without_errors(stack, tmp_path):
    params = GeneratorParams(
        users=60, requests=400, rate=100.0, graph_rate=2000.0, mean_follows=8, celebrities=2,
        id_base=random.randrange(1 << 42, 1 << 43),  # users of their own on the shared stack
    )  # fmt: skip
    header = write_trace(params, tmp_path / "t.jsonl.gz", progress=False)
    s = stack.settings
    options = ReplayOptions(s.write_addr, s.read_addr, speed=2, visibility_sample=1.0, progress=False)
    result = Replay([tmp_path / "t.jsonl.gz"], options, metadata_for(stack)).run()
    (tmp_path / "r.json").write_text(json.dumps(result))
    write_plots(result, tmp_path / "plots")

    result = json.loads((tmp_path / "r.json").read_text())  # what the file holds
    assert result["requests"] == header.counts["requests"] == sum(r["count"] for r in result["by_rpc"].values())
    assert (result["errors"], result["skipped"]) == (0, 0), result["by_rpc"]
    assert 0 < result["duration_s"] < 30
    assert set(result["by_rpc"]) <= set(RPCS) and {"Follow", "CreatePost", "GetHomeTimeline"} <= set(result["by_rpc"])
    for rpc, stats in result["by_rpc"].items():
        values = [stats[p] for p in PERCENTILES]
        assert values[0] > 0 and values == sorted(values), (rpc, stats)
        assert stats["errors"] == 0 and stats["errors_by_code"] == {}
    visibility = result["visibility"]
    assert visibility["samples"] > 0 and visibility["timeouts"] == 0
    assert 0 < visibility["p50_ms"] <= visibility["p99_ms"] < 5000
    assert (tmp_path / "plots" / "latency.png").stat().st_size > 0


def test_a_generated_trace_of_three_organizations_with_groups_replays_without_errors(stack, tmp_path):
    params = GeneratorParams(
        users=60, requests=400, rate=100.0, graph_rate=2000.0, mean_follows=6, celebrities=2,
        orgs=3, groups_per_org=3, group_members=6, mix=default_mix(groups=True),
        id_base=random.randrange(1 << 42, 1 << 43),  # users of their own on the shared stack
    )  # fmt: skip
    header = write_trace(params, tmp_path / "orgs.jsonl.gz", progress=False)
    with TraceReader(tmp_path / "orgs.jsonl.gz") as reader:
        sent = Counter(r["rpc"] for r in reader)
    s = stack.settings
    options = ReplayOptions(s.write_addr, s.read_addr, speed=2, visibility_sample=0.0, progress=False)
    result = Replay([tmp_path / "orgs.jsonl.gz"], options, metadata_for(stack)).run()

    assert result["requests"] == header.counts["requests"]
    assert (result["errors"], result["skipped"]) == (0, 0), (result["by_rpc"], result["skipped_by_reason"])
    assert {rpc: stats["count"] for rpc, stats in result["by_rpc"].items()} == dict(sent)
    assert {"CreateGroup", "JoinGroup", "LeaveGroup", "GetGroupTimeline", "ListGroupMembers"} <= set(sent)


@contextlib.contextmanager
def _recording_proxy(settings, path):
    """`feed trace record` in front of the stack's service processes: the recorder and interceptor
    the services use with FEED_TRACE_RECORD, without restarting them."""
    with TraceRecorder(path) as recorder:
        targets = {"write": settings.write_addr, "read": settings.read_addr}
        proxy = RecordingProxy(recorder, {"write": "127.0.0.1:0", "read": "127.0.0.1:0"}, targets)
        proxy.start()
        try:
            yield recorder, f"127.0.0.1:{proxy.ports['write']}", f"127.0.0.1:{proxy.ports['read']}"
        finally:
            proxy.stop()


def _session(rec: Client, direct: Client) -> None:
    """A short session of real calls through the recording server."""
    author, fan = new_user(), new_user()
    made_elsewhere = direct.post(author, "not recorded").post_id
    for text in ("own 1", "own 2"):  # the fan's own posts: a first page of one always has a next page,
        direct.post(fan, text)  # in the replay too, however far fan-out has got
    rec.follow(fan, author)
    rec.home(fan)
    ids = [rec.post(author, f"post {i}", key=f"key-{i}" if i else "").post_id for i in range(3)]
    eventually(lambda: len(direct.home(fan).posts) >= 6)
    rec.posts.GetPost(post_service_pb2.GetPostRequest(post_id=ids[0]))
    first = rec.home(fan, 1)
    rec.home(fan, 1, first.next_page_token)
    rec.user_timeline(author, 2)
    rec.graph.ListFollowers(graph_service_pb2.ListFollowersRequest(user_id=author, page_size=5))
    rec.graph.ListFollowing(graph_service_pb2.ListFollowingRequest(user_id=fan))
    rec.delete(author, ids[1])
    rec.posts.GetPost(post_service_pb2.GetPostRequest(post_id=made_elsewhere))  # left out: not created here
    rec.unfollow(fan, author)


def _meaning(path) -> list[dict]:
    """What each recorded request asked for: everything but its time and its (run-specific) key."""
    with TraceReader(path) as reader:
        return [{k: (v if k != "key" else "set") for k, v in r.items() if k != "t"} for r in reader]


def test_a_recorded_session_replays_as_the_same_requests(stack, client, tmp_path):
    with _recording_proxy(stack.settings, tmp_path / "session.jsonl.gz") as (recorder, write, read):
        rec = client_for(stack, write, read)
        try:
            _session(rec, client)
        finally:
            rec.close()
    recorded = _meaning(tmp_path / "session.jsonl.gz")
    assert [r["rpc"] for r in recorded] == [
        "Follow", "GetHomeTimeline", "CreatePost", "CreatePost", "CreatePost", "GetPost", "GetHomeTimeline",
        "GetHomeTimeline", "GetUserTimeline", "ListFollowers", "ListFollowing", "DeletePost", "Unfollow",
    ]  # fmt: skip
    assert recorded[5]["post_ref"] == 2 and recorded[11]["post_ref"] == 3
    assert recorded[7]["next"] is True and "next" not in recorded[6]
    assert [r.get("key") for r in recorded[2:5]] == [None, "set", "set"]
    assert recorder.skipped == {"GetPost: post not created in this recording": 1}

    # Replay it, recording the replay the same way, and compare the two recordings.
    with _recording_proxy(stack.settings, tmp_path / "replayed.jsonl.gz") as (_, write, read):
        options = ReplayOptions(
            target_write=write,
            target_read=read,
            concurrency=1,  # one at a time: the proxy sees them in trace order
            visibility_sample=0.0,
            progress=False,
        )
        result = Replay([tmp_path / "session.jsonl.gz"], options, metadata_for(stack)).run()
    assert (result["requests"], result["errors"], result["skipped"]) == (len(recorded), 0, 0), result["by_rpc"]
    assert _meaning(tmp_path / "replayed.jsonl.gz") == recorded
