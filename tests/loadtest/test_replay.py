"""The replay runner with a test double for the services: what it sends, what it learns, what it reports."""

from __future__ import annotations

import itertools
import json
import threading

import grpc
import pytest

from feed.commands.replay import main as replay_main
from feed.loadtest.caller import DoneFuture
from feed.loadtest.generate import write_trace
from feed.loadtest.messages import SPECS
from feed.loadtest.params import GeneratorParams, default_mix
from feed.loadtest.report import summary_table, write_plots
from feed.loadtest.runner import Replay, ReplayOptions
from feed.loadtest.stats import ReplayStats
from feed.loadtest.trace import TraceReader


class FailedFuture(DoneFuture):
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(None)
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


class InMemoryServices:
    """Answers at once; gives posts ids, pages tokens; remembers every call and its acting user."""

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.calls: list[tuple[str, object, int]] = []
        self.orgs: list[int] = []  # the organization each call's credentials were for
        self._ids = itertools.count(1000)
        self.fail = fail

    def call(self, rpc, request, user_id, org_id=0):
        self.calls.append((rpc, request, user_id))
        self.orgs.append(org_id)
        if rpc in self.fail:
            return FailedFuture(grpc.StatusCode.UNAVAILABLE)
        if rpc == "CreatePost":
            return DoneFuture(SPECS[rpc].response(post_id=next(self._ids), author_id=request.author_id))
        if rpc == "CreateGroup":
            return DoneFuture(SPECS[rpc].response(group_id=next(self._ids), creator_id=request.creator_id))
        if rpc == "CreateFilter":
            return DoneFuture(SPECS[rpc].response(filter_id=next(self._ids), phrase=request.phrase))
        if rpc == "Repost":  # the original post, as reposted
            return DoneFuture(SPECS[rpc].response(post_id=request.post_id, reposted_by_user_id=request.user_id))
        if rpc == "GetHomeTimeline":
            return DoneFuture(SPECS[rpc].response(next_page_token=f"page-after-{request.page_token or 'first'}"))
        if rpc == "GetGroupTimeline":  # a token only valid for its group
            return DoneFuture(SPECS[rpc].response(next_page_token=f"group-{request.group_id}-page-{len(self.calls)}"))
        return DoneFuture(SPECS[rpc].response())

    def close(self):
        pass


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = tmp_path_factory.mktemp("trace") / "t.jsonl.gz"
    write_trace(GeneratorParams(users=60, requests=3000, rate=200.0, graph_rate=50_000.0), path, progress=False)
    return path


@pytest.fixture(scope="module")
def org_trace(tmp_path_factory):
    path = tmp_path_factory.mktemp("trace") / "orgs.jsonl.gz"
    params = GeneratorParams(
        users=60, requests=3000, rate=200.0, graph_rate=50_000.0, orgs=3, groups_per_org=3, mix=default_mix(True)
    )
    write_trace(params, path, progress=False)
    return path


def _replay(trace, services, **options):
    opts = ReplayOptions(speed=1000.0, progress=False, visibility_sample=0.0, **options)
    return Replay([trace], opts, caller=services).run()


def test_every_request_is_sent_once_in_order_as_its_acting_user(trace):
    services = InMemoryServices()
    result = _replay(trace, services)
    with TraceReader(trace) as reader:
        records = list(reader)
    assert result["requests"] == len(records) == len(services.calls)
    assert [rpc for rpc, _, _ in services.calls] == [r["rpc"] for r in records]
    for (rpc, request, user), record in zip(services.calls, records, strict=True):
        if rpc == "Follow":
            assert user == request.follower_id == record["follower_id"]
        if rpc == "CreatePost":
            assert user == request.author_id and len(request.text) == record["text_len"]
            assert request.idempotency_key.endswith(record["key"]) and request.idempotency_key != record["key"]
    assert result["errors"] == result["skipped"] == 0


def test_deletes_name_the_id_the_server_gave_and_next_pages_send_the_last_token(trace):
    services = InMemoryServices()
    _replay(trace, services)
    created = {}
    tokens = {}
    for n, (rpc, _, _) in enumerate(services.calls):
        if rpc in ("CreatePost", "CreateFilter"):  # each answer takes the double's next id
            created[n] = 1000 + len(created)
    with TraceReader(trace) as reader:
        for (rpc, request, _), record in zip(services.calls, reader, strict=True):
            if rpc in ("DeletePost", "GetPost"):
                assert request.post_id == created[record["post_ref"]]
            if rpc == "DeleteFilter":
                assert request.filter_id == created[record["filter_ref"]]
                assert services.calls[record["filter_ref"]][1].user_id == request.user_id  # the owner deletes it
            if rpc == "GetHomeTimeline":
                expected = tokens.get(request.user_id, "") if record.get("next") else ""
                assert request.page_token == expected
                tokens[request.user_id] = f"page-after-{request.page_token or 'first'}"
    assert any(r.page_token for rpc, r, _ in services.calls if rpc == "GetHomeTimeline")


def test_requests_naming_a_failed_create_are_skipped_and_counted(trace):
    result = _replay(trace, InMemoryServices(fail={"CreatePost"}))
    assert result["by_rpc"]["CreatePost"]["errors_by_code"] == {"UNAVAILABLE": result["by_rpc"]["CreatePost"]["count"]}
    assert result["skipped"] > 0
    named = {f"{rpc}: its CreatePost failed" for rpc in ("DeletePost", "GetPost", "Repost")}
    # an Unrepost of a Repost skipped so finds no repost either
    assert set(result["skipped_by_reason"]) <= named | {"Unrepost: repost not created"}
    assert "DeletePost" not in result["by_rpc"]


def test_the_duration_limit_stops_sending(trace):
    # 0.2 s of wall time at speed 10: about 2 s of the 15 s trace, with room for a loaded machine.
    opts = ReplayOptions(speed=10.0, progress=False, visibility_sample=0.0, duration_limit_s=0.2)
    result = Replay([trace], opts, caller=InMemoryServices()).run()
    assert 0 < result["requests"] < 1500


def test_stats_report_percentiles_in_order_and_windows_over_time():
    stats = ReplayStats(window_s=1.0)
    for i in range(1000):
        stats.record("GetPost", (i + 1) / 1000, "OK" if i % 100 else "NOT_FOUND", completed_at=i / 250)
    stats.finish()
    result = stats.to_json()
    s = result["by_rpc"]["GetPost"]
    assert s["count"] == 1000 and s["errors"] == 10 and s["errors_by_code"] == {"NOT_FOUND": 10}
    assert s["p50_ms"] == pytest.approx(500, rel=0.01)
    assert s["p50_ms"] <= s["p90_ms"] <= s["p99_ms"] <= s["p999_ms"] <= s["max_ms"] == pytest.approx(1000, rel=0.001)
    assert [w["t_s"] for w in stats.windows] == [0.0, 1.0, 2.0, 3.0]
    assert sum(w["count"] for w in stats.windows) == 1000


def test_the_command_writes_json_plots_and_a_table(trace, tmp_path, capsys):
    assert (
        replay_main(
            [
                str(trace),
                "--dry-run",
                "--speed",
                "1000",
                "--no-progress",
                "--json",
                str(tmp_path / "r.json"),
                "--plots",
                str(tmp_path / "plots"),
            ]
        )
        == 0
    )
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["requests"] == result["trace_headers"][0]["counts"]["requests"]
    for name in ("latency.png", "throughput.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "GetHomeTimeline" in out and "p99_ms" in out
    assert summary_table(result).splitlines()[0].split()[:3] == ["rpc", "count", "errors"]
    assert write_plots({**result, "windows": []}, tmp_path / "empty")  # nothing answered: still two files


def bearer_of(user_id: int):
    """A metadata provider of one argument (written before organizations), as
    `--metadata tests.loadtest.test_replay:bearer_of` names it."""
    return [("authorization", f"Bearer user-{user_id}")]


def bearer_in_org(user_id: int, org_id: int):
    """A metadata provider of the current form: the acting user and their organization."""
    return [("authorization", f"Bearer user-{user_id}@org-{org_id}")]


def test_a_metadata_provider_named_on_the_command_line_gets_each_acting_user_and_org():
    from feed.errors import InvalidArgument
    from feed.loadtest.caller import DryCaller, load_metadata_provider

    old = load_metadata_provider("tests.loadtest.test_replay:bearer_of")
    new = load_metadata_provider("tests.loadtest.test_replay:bearer_in_org")
    assert old(7, 0) == [("authorization", "Bearer user-7")]
    assert new(7, 3) == [("authorization", "Bearer user-7@org-3")]
    seen = []
    caller = DryCaller(lambda user, org: seen.append((user, org)) or new(user, org))
    caller.call("Follow", SPECS["Follow"].request(follower_id=7, followee_id=8), 7, 3)
    one_arg = []
    DryCaller(one_arg.append).call("Follow", SPECS["Follow"].request(follower_id=7, followee_id=8), 7, 3)
    assert (seen, one_arg) == ([(7, 3)], [7])
    with pytest.raises(InvalidArgument):
        load_metadata_provider("tests.loadtest.test_replay:nothing_here")


def test_each_call_carries_its_records_org_and_group_requests_name_the_group_the_server_made(org_trace):
    services = InMemoryServices()
    result = _replay(org_trace, services)
    with TraceReader(org_trace) as reader:
        records = list(reader)
    assert (result["requests"], result["errors"], result["skipped"]) == (len(records), 0, 0)
    assert services.orgs == [r.get("org", 0) for r in records] and set(services.orgs) == {0, 1, 2}
    creates = ("CreatePost", "CreateGroup", "CreateFilter")  # each answer takes the double's next id
    made = {n: 1000 + i for i, n in enumerate(n for n, r in enumerate(records) if r["rpc"] in creates)}
    last_token: dict[tuple[int, int], str] = {}
    for n, ((rpc, request, user), record) in enumerate(zip(services.calls, records, strict=True)):
        if "group_ref" in record:
            assert request.group_id == made[record["group_ref"]], record
        if rpc == "JoinGroup":
            assert user == (record.get("inviter_id") or record["user_id"])
        if rpc == "GetGroupTimeline":
            key = (request.user_id, request.group_id)
            assert request.page_token == (last_token.get(key, "") if record.get("next") else "")
            last_token[key] = f"group-{request.group_id}-page-{n + 1}"
    assert sum(1 for r in records if r["rpc"] == "GetGroupTimeline" and r.get("next")) > 5


def test_requests_naming_a_failed_create_group_are_skipped_and_counted(org_trace):
    result = _replay(org_trace, InMemoryServices(fail={"CreateGroup"}))
    assert result["skipped"] > 0 and "JoinGroup" not in result["by_rpc"]
    assert {reason.partition(": ")[2] for reason in result["skipped_by_reason"]} == {"its CreateGroup failed"}


class HeldFuture(DoneFuture):
    """An answer the test releases: a call still in flight until then."""

    def __init__(self, response) -> None:
        super().__init__(response)
        self._done, self._callbacks = False, []

    def done(self) -> bool:
        return self._done

    def add_done_callback(self, fn) -> None:
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def release(self) -> None:
        self._done = True
        for fn in self._callbacks:
            fn(self)


def test_a_members_group_requests_wait_for_their_previous_one_to_answer(tmp_path):
    from feed.loadtest.trace import TraceHeader, TraceWriter

    records = [
        {"t": 0, "rpc": "CreateGroup", "org": 2, "creator_id": 1, "name": "g", "visibility": "private"},
        {"t": 1, "rpc": "JoinGroup", "org": 2, "group_ref": 0, "user_id": 5, "inviter_id": 1},
        {"t": 2, "rpc": "GetGroupTimeline", "org": 2, "group_ref": 0, "user_id": 5},  # after 5's join
        {"t": 3, "rpc": "GetGroupTimeline", "org": 2, "group_ref": 0, "user_id": 6},  # 6 has nothing in flight
        {"t": 4, "rpc": "LeaveGroup", "org": 2, "group_ref": 0, "user_id": 5},  # after 5's read
    ]
    with TraceWriter(tmp_path / "t.jsonl", TraceHeader(source="generate")) as writer:
        for record in records:
            writer.write(record)
    held: dict[str, HeldFuture] = {}
    services = InMemoryServices()

    class Holding:
        def call(self, rpc, request, user_id, org_id=0):
            answer = services.call(rpc, request, user_id, org_id)
            if rpc not in ("JoinGroup", "GetGroupTimeline") or request.user_id != 5:
                return answer
            held[rpc] = HeldFuture(answer.result())
            return held[rpc]

        def close(self):
            pass

    replay = threading.Thread(target=lambda: _replay(tmp_path / "t.jsonl", Holding()))
    replay.start()

    def sent() -> list[str]:
        return [f"{rpc}:{getattr(request, 'user_id', user)}" for rpc, request, user in services.calls]

    for want, release in (
        (["CreateGroup:1", "JoinGroup:5", "GetGroupTimeline:6"], "JoinGroup"),
        (["CreateGroup:1", "JoinGroup:5", "GetGroupTimeline:6", "GetGroupTimeline:5"], "GetGroupTimeline"),
    ):
        for _ in range(200):
            if sent() == want:
                break
            threading.Event().wait(0.01)  # the replay runs on its own thread
        assert sent() == want
        held[release].release()
    replay.join(10)
    assert sent()[-1] == "LeaveGroup:5" and services.orgs == [2] * 5
