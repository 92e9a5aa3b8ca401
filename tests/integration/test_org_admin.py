"""`feed org export` and `feed org delete`: one organization out or gone, whole, the others untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from feed.redis.connection import connect
from feed.redis.keys import org_key_pattern
from feed.store import open_store
from feed.v1 import feed_service_pb2
from tests.integration.stack import OrgUsers, client_of, drained, eventually, new_org

USERS = OrgUsers()


@pytest.fixture(scope="module")
def ac(semantics_stack):
    with client_of(semantics_stack, USERS.org, USERS.is_admin) as c:
        yield c


def feed_cli(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **stack.settings.env()}
    return subprocess.run(
        [sys.executable, "-m", "feed.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_organization_is_exported_and_deleted_whole(ac, semantics_stack, tmp_path):
    gone, kept = new_org(), new_org()
    a, b = USERS.member(ac, gone), USERS.member(ac, gone)
    other = USERS.member(ac, kept)
    ac.follow(b, a)
    ac.block(a, USERS.member(ac, gone))
    post = ac.post(a, "ours").post_id
    deleted = ac.post(a, "deleted later").post_id
    ac.delete(a, deleted)
    group = ac.create_group(a, "team", private=True)
    ac.join(group, b, inviter=a)  # an invitation,
    ac.join(group, b)  # accepted
    group_post = ac.post(b, "in the team", group=group).post_id
    kept_post = ac.post(other, "theirs").post_id
    eventually(lambda: {post, group_post} <= set(ac.home_ids(b)))
    marker = feed_service_pb2.SetReadMarkerRequest(user_id=b, post_id=post)
    ac.feed.SetReadMarker(marker, metadata=ac.acting_as(b), timeout=10)
    eventually(lambda: drained(semantics_stack), timeout_s=60)

    out = tmp_path / "export.jsonl"
    done = feed_cli(semantics_stack, "org", "export", str(gone), "--out", str(out))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = {r["kind"] for r in records}
    assert kinds == {"user", "follow", "block", "post", "group", "member"}
    assert {r["post_id"] for r in records if r["kind"] == "post"} == {post, group_post}
    assert {r["user_id"] for r in records if r["kind"] == "user"} >= {a, b}
    assert {r["user_id"] for r in records if r["kind"] == "member" and r["group_id"] == group} == {a, b}
    assert other not in {v for r in records for v in r.values() if isinstance(v, int)}

    redis = connect(semantics_stack.settings.redis_url)
    assert any(True for _ in redis.scan_iter(match=org_key_pattern(gone)))
    refused = feed_cli(semantics_stack, "org", "delete", str(gone))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    done = feed_cli(semantics_stack, "org", "delete", str(gone), "--yes")
    assert done.returncode == 0, done.stderr

    assert not any(True for _ in redis.scan_iter(match=org_key_pattern(gone)))
    store = open_store(semantics_stack.settings.store_url)
    try:
        assert store.orgs.list_org_users(gone, 100).ids == []
        assert store.orgs.list_org_groups(gone, 100).ids == []
        assert store.posts.get_posts([post, deleted, group_post]) == {}
        assert store.graph.list_followers(a, 100).ids == []
        assert store.orgs.org_of(other) == kept
        assert store.markers.get_marker(b) is None  # a member's read marker goes with them
    finally:
        store.close()
    assert ac.home_ids(other) == [kept_post]  # the other organization is untouched
