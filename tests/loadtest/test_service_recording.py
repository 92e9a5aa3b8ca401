"""The services' own recording path: `feed serve` with FEED_TRACE_RECORD, then a replay of what it wrote."""

from __future__ import annotations

import dataclasses

import pytest

from feed.devstack.procs import free_port, start_feed, wait_until_listening
from feed.devstack.stack import SERVICE_GRACE_S
from feed.loadtest.runner import Replay, ReplayOptions
from feed.loadtest.trace import TraceReader
from tests.integration.stack import eventually, new_user
from tests.loadtest.credentials import client_for, metadata_for

pytestmark = pytest.mark.integration


def test_services_started_with_feed_trace_record_write_traces_that_replay(stack, client, tmp_path):
    settings = dataclasses.replace(
        stack.settings,
        write_addr=f"127.0.0.1:{free_port()}",
        read_addr=f"127.0.0.1:{free_port()}",
        stream_addr=f"127.0.0.1:{free_port()}",
    )
    env = {**settings.env(), "FEED_TRACE_RECORD": str(tmp_path / "trace.jsonl.gz"), "FEED_TRACE_SAMPLE": "1"}
    procs = []
    for role, addr in (("write", settings.write_addr), ("read", settings.read_addr)):
        proc = start_feed(f"{role} service", ["serve", role], tmp_path / role, env)
        procs.append(proc)
        wait_until_listening(addr, 60, proc)
    recorded = client_for(stack, settings.write_addr, settings.read_addr)
    try:
        author, fan = new_user(), new_user()
        recorded.follow(fan, author)
        recorded.home(fan)
        post = recorded.post(author, "recorded", key="k")
        eventually(lambda: len(client.home(fan).posts) == 1)
        recorded.home(fan)
        recorded.delete(author, post.post_id)
    finally:
        recorded.close()
        # SIGTERM: the recorders close and write their trailers, within a service's grace (its drain
        # may take 10 s), as the stack allows it.
        codes = [proc.stop(SERVICE_GRACE_S) for proc in procs]
    assert codes == [0, 0]

    files = [tmp_path / "trace.write.jsonl.gz", tmp_path / "trace.read.jsonl.gz"]
    with TraceReader(files[0]) as writes, TraceReader(files[1]) as reads:
        assert [r["rpc"] for r in writes] == ["Follow", "CreatePost", "DeletePost"]
        assert [r["rpc"] for r in reads] == ["GetHomeTimeline", "GetHomeTimeline"]
        assert writes.end["requests"] == 3 and reads.end["requests"] == 2

    s = stack.settings
    options = ReplayOptions(target_write=s.write_addr, target_read=s.read_addr, progress=False, concurrency=1)
    result = Replay(files, options, metadata_for(stack)).run()
    assert (result["requests"], result["errors"], result["skipped"]) == (5, 0, 0), result["by_rpc"]
