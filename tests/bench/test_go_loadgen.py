"""The Go load generator (loadgen/, feed/bench/go_loadgen.py): the calls Python prepares for it, its
answer against a real floor server and against an address nobody listens on, and which one runs."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feed.access.tokens import ensure_local_secret
from feed.bench import go_loadgen, reads
from feed.bench.channels import keys_of
from feed.devstack.procs import ManagedProcess, free_port, wait_until_listening
from feed.loadkit.stats import Recorder
from feed.loadkit.tokens import TokenProvider
from feed.v1 import feed_service_pb2, post_service_pb2
from tests.integration.stack import eventually, new_user

pytestmark = pytest.mark.integration
needs_go = pytest.mark.skipif(go_loadgen.go_command() is None, reason="no go command (make deps installs one)")
PYTHON_KEYS = set(Recorder().summary(0.0, 1.0)) | {"latencies_ms"}  # what feed.bench.loadgen prints per load


@pytest.fixture
def base(tmp_path):
    """A load generator spec's base, as the bench builds it (the floor server ignores the tokens)."""
    secret = tmp_path / "jwt.secret"
    ensure_local_secret(secret)
    return {
        "secret_file": str(secret),
        "tokens_issued_at": int(time.time()),
        "readers": list(range(1, 101)),
        "authors": list(range(500, 510)),
    }


@pytest.fixture
def floor(tmp_path):
    """One floor server (feed.bench.grpc_floor), as the bench starts it: (process, address)."""
    addr = f"127.0.0.1:{free_port()}"
    proc = ManagedProcess("floor", [sys.executable, "-m", "feed.bench.grpc_floor", addr], tmp_path / "floor.log")
    try:
        wait_until_listening(addr, 30, proc)
        yield proc, addr
    finally:
        proc.stop()


def test_the_go_spec_carries_each_readers_request_and_the_token_the_python_load_generator_would_send(base):
    spec = go_loadgen.go_spec({**base, "post_rate": 5, "duration_s": 3.0})
    tokens = TokenProvider(keys_of(base["secret_file"]), issued_at=base["tokens_issued_at"])
    assert len(spec["reads"]) == 100
    for user, call in zip(base["readers"], spec["reads"], strict=True):
        request = feed_service_pb2.GetHomeTimelineRequest.FromString(base64.b64decode(call["request"]))
        assert (request.user_id, request.page_size) == (user, 20)
        assert call["authorization"] == tokens.metadata(user)[0][1]
    posts = [post_service_pb2.CreatePostRequest.FromString(base64.b64decode(c["request"])) for c in spec["posts"]]
    assert len(posts) == 15  # post_rate * duration_s, one per call
    assert [p.text for p in posts] == [f"load post {n}" for n in range(15)]
    authors = [p.author_id for p in posts]
    assert sorted(authors[:10]) == base["authors"] and authors[10:] == authors[:5]  # round robin, as Python's
    assert [c["authorization"] for c in spec["posts"]] == [tokens.metadata(a)[0][1] for a in authors]


@needs_go
def test_against_the_floor_server_every_call_is_answered_and_the_answer_has_the_python_keys(base, floor):
    proc, addr = floor
    spec = {
        **base,
        "read_addrs": [addr],
        "write_addr": addr,
        "read_rate": 200,
        "post_rate": 20,
        "duration_s": 1.0,
        "cpu_pids": [proc.pid],
        "keep_latencies": True,
    }
    answer = reads.loadgen_result(go_loadgen.start(spec), spec["duration_s"])
    assert set(answer) == {"cpu", "read", "post"}
    assert answer["cpu"]["servers_s"] > 0 and answer["cpu"]["loadgen_s"] > 0
    for name, calls in (("read", 200), ("post", 20)):
        result = answer[name]
        assert set(result) == PYTHON_KEYS, name
        assert (result["ok"], result["errors"]) == (calls, 0), name
        assert result["offered_rps"] == spec[f"{name}_rate"]
        assert 0 < result["achieved_rps"] <= calls / 0.9  # the calls spread over about a second, not a burst
        assert result["latencies_ms"] == sorted(result["latencies_ms"]) and len(result["latencies_ms"]) == calls
        assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] == result["latencies_ms"][-1]


@needs_go
def test_the_running_services_answer_its_reads_and_posts_as_the_users_they_act_as(stack, client):
    author, reader = new_user(), new_user()
    client.follow(reader, author)
    spec = {
        "read_addrs": [stack.settings.read_addr],
        "write_addr": stack.settings.write_addr,
        "secret_file": stack.settings.jwt_secret_file,
        "tokens_issued_at": int(time.time()),
        "readers": [reader],
        "authors": [author],
        "read_rate": 20,
        "post_rate": 5,
        "duration_s": 1.0,
    }
    answer = reads.loadgen_result(go_loadgen.start(spec), spec["duration_s"])
    assert (answer["read"]["ok"], answer["read"]["errors"]) == (20, 0)
    assert (answer["post"]["ok"], answer["post"]["errors"]) == (5, 0)
    eventually(lambda: len(client.home_ids(reader)) == 5)  # the posts were made, by their author


@needs_go
def test_calls_to_an_address_nobody_listens_on_are_counted_as_unavailable_not_a_crash(base):
    spec = {**base, "read_addrs": [f"127.0.0.1:{free_port()}"], "read_rate": 100, "duration_s": 0.5}
    proc = go_loadgen.start(spec)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    read = json.loads(out)["read"]
    assert (read["ok"], read["errors"], read["achieved_rps"], read["p99_ms"]) == (0, 50, 0.0, 0.0)
    assert "read errors: UNAVAILABLE=50" in err


@pytest.fixture
def unbuilt(monkeypatch):
    """go_loadgen's build cache, cleared before and after: each test builds (or not) afresh."""
    go_loadgen.built.cache_clear()
    yield monkeypatch
    go_loadgen.built.cache_clear()


@needs_go
def test_a_go_program_that_does_not_build_falls_back_to_python_with_one_warning_line(unbuilt, tmp_path, capsys):
    (tmp_path / "go.mod").write_text("module broken\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    unbuilt.setattr(go_loadgen, "SOURCE", tmp_path)
    unbuilt.setattr(go_loadgen, "BINARY", tmp_path / "bin" / "feed-loadgen")
    unbuilt.setenv(go_loadgen.LOADGEN_ENV, "auto")
    assert go_loadgen.chosen() == "python"
    assert go_loadgen.chosen() == "python"  # built once: no second build, no second warning
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1 and "undefined" in warning[0] and "falls back to the Python one" in warning[0]
    unbuilt.setenv(go_loadgen.LOADGEN_ENV, "go")
    with pytest.raises(RuntimeError, match="could not be built"):
        go_loadgen.chosen()


def test_the_python_load_generator_runs_when_asked_for_and_an_unknown_choice_is_refused(unbuilt):
    unbuilt.setattr(go_loadgen, "SOURCE", go_loadgen.SOURCE / "nowhere")  # asking for python must not build
    unbuilt.setenv(go_loadgen.LOADGEN_ENV, "python")
    assert go_loadgen.chosen() == "python"
    assert go_loadgen.built.cache_info().currsize == 0
    unbuilt.setenv(go_loadgen.LOADGEN_ENV, "rust")
    with pytest.raises(ValueError, match="rust"):
        go_loadgen.chosen()


@needs_go
def test_the_go_programs_own_tests_pass():
    """loadgen/'s Go tests (percentiles, code names), run here so CI runs them (`make loadgen` runs them too)."""
    loadgen = Path(__file__).resolve().parents[2] / "loadgen"
    done = subprocess.run(
        [go_loadgen.go_command(), "test", "./..."], cwd=loadgen, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_go_make_deps_installs_into_the_virtualenv_comes_before_the_one_on_path(monkeypatch, tmp_path):
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    go = venv_bin / "go"
    go.write_text("#!/bin/sh\n")
    go.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    assert go_loadgen.go_command() == str(go)
    go.chmod(0o644)  # not executable: not a go command; and none on PATH either
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert go_loadgen.go_command() is None
