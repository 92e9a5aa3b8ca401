"""The recorder on its own: what a served request becomes in the file, sampling, threads, bounds."""

from __future__ import annotations

import gzip
import threading

from feed.loadtest import record as record_module
from feed.loadtest.record import TraceRecorder, recording_interceptors, sampled
from feed.loadtest.trace import TraceReader
from feed.v1 import feed_service_pb2, graph_service_pb2, post_service_pb2


def _read(path):
    with TraceReader(path) as reader:
        return reader.header, list(reader), reader.end


def test_served_requests_become_records_that_name_posts_by_their_create(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path) as rec:
        rec.record("Follow", graph_service_pb2.FollowRequest(follower_id=2, followee_id=1))
        n = rec.record(
            "CreatePost", post_service_pb2.CreatePostRequest(author_id=1, text="hello", idempotency_key="k-1")
        )
        rec.created(n, post_id=987654321)
        rec.record("GetPost", post_service_pb2.GetPostRequest(post_id=987654321))
        rec.record("GetHomeTimeline", feed_service_pb2.GetHomeTimelineRequest(user_id=2, page_size=5, page_token="abc"))
        rec.record("DeletePost", post_service_pb2.DeletePostRequest(author_id=1, post_id=987654321))
        rec.record("GetPost", post_service_pb2.GetPostRequest(post_id=987654321))  # deleted: not in the trace
        rec.record("DeletePost", post_service_pb2.DeletePostRequest(author_id=1, post_id=555))  # made before
    header, records, end = _read(path)
    assert header.source == "record" and header.start_unix_ms > 0
    assert [r["rpc"] for r in records] == ["Follow", "CreatePost", "GetPost", "GetHomeTimeline", "DeletePost"]
    assert {k: v for k, v in records[1].items() if k != "t"} == {
        "rpc": "CreatePost",
        "author_id": 1,
        "text_len": 5,
        "key": records[1]["key"],
    }
    assert records[2]["post_ref"] == records[4]["post_ref"] == 1
    assert records[3] == {"t": records[3]["t"], "rpc": "GetHomeTimeline", "user_id": 2, "page_size": 5, "next": True}
    assert end["requests"] == 5
    assert end["skipped"] == {
        "GetPost: post not created in this recording": 1,
        "DeletePost: post not created in this recording": 1,
    }


def test_no_text_token_or_raw_key_reaches_the_file(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path) as rec:
        rec.record(
            "CreatePost", post_service_pb2.CreatePostRequest(author_id=1, text="secret words", idempotency_key="KEY-42")
        )
        rec.record("ListFollowers", graph_service_pb2.ListFollowersRequest(user_id=1, page_token="TOKEN-7"))
    raw = gzip.decompress(path.read_bytes())
    for value in (b"secret words", b"KEY-42", b"TOKEN-7"):
        assert value not in raw


def test_sampling_keeps_whole_users_at_about_the_rate(tmp_path):
    kept = [u for u in range(1, 10_001) if sampled(u, 0.1)]
    assert 800 < len(kept) < 1200
    assert all(sampled(u, 0.1) for u in kept)  # stable: every process keeps the same users
    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path, sample_rate=0.1) as rec:
        for user in range(1, 201):
            for _ in range(3):
                rec.record("GetUserTimeline", feed_service_pb2.GetUserTimelineRequest(user_id=user))
    _, records, _ = _read(path)
    users = [r["user_id"] for r in records]
    assert set(users) == {u for u in range(1, 201) if sampled(u, 0.1)}
    assert len(users) == 3 * len(set(users))


def test_threads_record_concurrently_in_time_order(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    rec = TraceRecorder(path)

    def serve(user: int) -> None:
        for _ in range(500):
            rec.record("GetHomeTimeline", feed_service_pb2.GetHomeTimelineRequest(user_id=user))

    threads = [threading.Thread(target=serve, args=(u,)) for u in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.close()
    rec.close()  # twice is fine: atexit may close it again
    _, records, end = _read(path)  # the reader refuses offsets that go back
    assert len(records) == end["requests"] == 4000


def test_a_full_buffer_drops_and_counts_instead_of_blocking_the_server(tmp_path, monkeypatch):
    monkeypatch.setattr(record_module, "BUFFER_MAX", 10)
    monkeypatch.setattr(record_module, "FLUSH_INTERVAL_S", 60.0)
    with TraceRecorder(tmp_path / "rec.jsonl.gz") as rec:
        for _ in range(25):
            rec.record("ListFollowing", graph_service_pb2.ListFollowingRequest(user_id=3))
    _, records, end = _read(tmp_path / "rec.jsonl.gz")
    assert len(records) == 10
    assert end["skipped"] == {"dropped: buffer full": 15}


def test_flushed_records_are_readable_while_recording_goes_on(tmp_path):
    path = tmp_path / "rec.jsonl.gz"
    rec = TraceRecorder(path)
    rec.record("Follow", graph_service_pb2.FollowRequest(follower_id=2, followee_id=1))
    rec.flush()
    with TraceReader(path) as reader:
        assert [r["rpc"] for r in reader] == ["Follow"]
    rec.close()


def test_each_service_process_records_into_its_own_file(tmp_path):
    assert recording_interceptors("", 1.0, ["feed.v1.FeedService"]) == []
    [write] = recording_interceptors(str(tmp_path / "t.jsonl.gz"), 1.0, ["feed.v1.PostService", "feed.v1.GraphService"])
    [read] = recording_interceptors(str(tmp_path / "t.jsonl.gz"), 1.0, ["feed.v1.FeedService"])
    write._recorder.close()
    read._recorder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.read.jsonl.gz", "t.write.jsonl.gz"]


def test_block_and_unblock_round_trip_through_the_trace_format():
    from feed.loadtest.messages import from_request, to_request
    from feed.v1 import graph_service_pb2

    for rpc, request in (
        ("Block", graph_service_pb2.BlockRequest(blocker_id=3, blocked_id=4)),
        ("Unblock", graph_service_pb2.UnblockRequest(blocker_id=3, blocked_id=4)),
    ):
        record = from_request(rpc, request, lambda post_id: None)
        assert record is not None
        assert to_request({**record, "rpc": rpc}) == request


def test_group_requests_round_trip_with_group_ids_as_refs():
    from feed.loadtest.messages import from_request, to_request
    from feed.v1 import group_service_pb2 as g

    created = {555: 7}  # group id -> ordinal of its CreateGroup
    cases = [
        ("GetGroup", g.GetGroupRequest(group_id=555, user_id=3), {"group_ref": 7, "user_id": 3}),
        ("JoinGroup", g.JoinGroupRequest(group_id=555, user_id=3), {"group_ref": 7, "user_id": 3}),
        (
            "JoinGroup",
            g.JoinGroupRequest(group_id=555, user_id=3, inviter_id=4),
            {"group_ref": 7, "user_id": 3, "inviter_id": 4},
        ),
        ("LeaveGroup", g.LeaveGroupRequest(group_id=555, user_id=3), {"group_ref": 7, "user_id": 3}),
        (
            "ListGroupMembers",
            g.ListGroupMembersRequest(group_id=555, user_id=3, page_size=5),
            {"group_ref": 7, "user_id": 3, "page_size": 5},
        ),
        ("ListMyGroups", g.ListMyGroupsRequest(user_id=3), {"user_id": 3}),
        (
            "GetGroupTimeline",
            feed_service_pb2.GetGroupTimelineRequest(group_id=555, user_id=3, page_size=9),
            {"group_ref": 7, "user_id": 3, "page_size": 9},
        ),
        (
            "CreatePost",
            post_service_pb2.CreatePostRequest(author_id=3, text="th", group_id=555),  # as filler of its length
            {"author_id": 3, "text_len": 2, "group_ref": 7},
        ),
    ]
    for rpc, request, fields in cases:
        assert from_request(rpc, request, lambda post_id: None, created.get) == fields
        assert to_request({**fields, "rpc": rpc}, group_id=555) == request
    create = g.CreateGroupRequest(creator_id=3, name="secret plans", visibility=g.GROUP_VISIBILITY_PRIVATE)
    record = from_request("CreateGroup", create, lambda post_id: None)
    assert record == {"creator_id": 3, "name_len": 12, "visibility": "private"}  # the name itself is not kept
    replayed = to_request({**record, "rpc": "CreateGroup"})
    assert (replayed.creator_id, len(replayed.name), replayed.visibility) == (3, 12, g.GROUP_VISIBILITY_PRIVATE)
    named = to_request({"rpc": "CreateGroup", "creator_id": 3, "name": "g12"})
    assert (named.name, named.visibility) == ("g12", g.GROUP_VISIBILITY_OPEN)
    assert from_request("LeaveGroup", g.LeaveGroupRequest(group_id=556, user_id=3), None, created.get) is None


def test_recorded_groups_are_named_by_their_create_and_each_record_keeps_the_callers_org(tmp_path):
    from feed.v1 import group_service_pb2 as g

    path = tmp_path / "rec.jsonl.gz"
    with TraceRecorder(path) as rec:
        n = rec.record("CreateGroup", g.CreateGroupRequest(creator_id=3, name="team"), org_id=4)
        rec.created_group(n, group_id=900)
        rec.record("JoinGroup", g.JoinGroupRequest(group_id=900, user_id=5, inviter_id=3), org_id=4)
        rec.record("GetGroupTimeline", feed_service_pb2.GetGroupTimelineRequest(group_id=900, user_id=5), org_id=4)
        rec.record("JoinGroup", g.JoinGroupRequest(group_id=901, user_id=5), org_id=4)  # made before: left out
        rec.record("GetHomeTimeline", feed_service_pb2.GetHomeTimelineRequest(user_id=1))
    _, records, end = _read(path)
    assert [({k: v for k, v in r.items() if k != "t"}) for r in records] == [
        {"rpc": "CreateGroup", "org": 4, "creator_id": 3, "name_len": 4, "visibility": "open"},
        {"rpc": "JoinGroup", "org": 4, "group_ref": 0, "user_id": 5, "inviter_id": 3},
        {"rpc": "GetGroupTimeline", "org": 4, "group_ref": 0, "user_id": 5},
        {"rpc": "GetHomeTimeline", "user_id": 1},
    ]
    assert end["skipped"] == {"JoinGroup: group not created in this recording": 1}


def test_the_callers_org_is_read_from_the_token_claim_and_nothing_else_of_it():
    from feed.access.tokens import AuthKeys, mint
    from feed.loadtest.record import org_claim

    keys = AuthKeys("HS256", "k" * 40, "k" * 40)
    assert org_claim([("authorization", f"Bearer {mint(keys, 7, 12)}")]) == 12
    assert org_claim([("authorization", f"Bearer {mint(keys, 7)}")]) == 0
    assert org_claim([("x-request-id", "abc")]) == 0
    assert org_claim([("authorization", "Bearer not.a.jwt")]) == 0
    assert org_claim(None) == 0
