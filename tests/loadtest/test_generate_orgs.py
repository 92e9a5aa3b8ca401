"""Generated traces of several organizations with groups: every request valid where it stands."""

from __future__ import annotations

from collections import Counter

import pytest

from feed.errors import InvalidArgument
from feed.loadtest.generate import generate, write_trace
from feed.loadtest.messages import actor_of
from feed.loadtest.params import GeneratorParams, default_mix
from feed.loadtest.stream import MIN_REF_AGE_MS

USER_FIELDS = (
    "author_id",
    "follower_id",
    "followee_id",
    "creator_id",
    "inviter_id",
    "user_id",
    "actor",
    "muter_id",
    "muted_id",
)
MEMBER_ACTIONS = {"CreatePost", "GetGroupTimeline", "ListGroupMembers", "GetGroup"}  # need membership if private


def _trace(**kw):
    params = {"users": 90, "requests": 4000, "rate": 400.0, "orgs": 3, "groups_per_org": 4, "mean_follows": 6}
    params |= kw
    header, records = generate(GeneratorParams(mix=default_mix(params["groups_per_org"] > 0), **params))
    return header, list(records)


def _org_by_user(users: int, orgs: int, id_base: int = 0) -> dict[int, int]:
    """Users are split in consecutive ranges, the first organizations one larger when it does not divide."""
    result, user = {}, id_base + 1
    for org in range(orgs):
        for _ in range(users // orgs + (org < users % orgs)):
            result[user] = org
            user += 1
    return result


@pytest.fixture(scope="module")
def trace():
    return _trace()


def test_every_user_a_record_names_is_of_the_actors_organization(trace):
    _, records = trace
    org_of = _org_by_user(90, 3)
    for record in records:
        org = record.get("org", 0)
        assert org_of[actor_of(record)] == org, record
        assert {org_of[record[f]] for f in USER_FIELDS if f in record} == {org}, record
        for ref in ("post_ref", "group_ref"):
            if ref in record:
                assert records[record[ref]].get("org", 0) == org, record
    assert {r.get("org", 0) for r in records} == {0, 1, 2}


def test_nobody_outside_organization_0_is_named_before_their_own_first_call(trace):
    header, records = trace
    first_call: dict[int, int] = {}
    for record in records:
        actor = actor_of(record)
        if record.get("org", 0):
            for field in USER_FIELDS:
                user = record.get(field)
                if user and user != actor:
                    assert record["t"] - first_call[user] >= 1000, (record, first_call.get(user))
        first_call.setdefault(actor, record["t"])
    warmup = header.counts["warmup"]
    assert warmup == 60  # the users of organizations 1 and 2, once each, before anything else
    assert {r["rpc"] for r in records[:warmup]} == {"GetHomeTimeline"}
    assert len({r["user_id"] for r in records[:warmup]}) == warmup


def test_group_refs_name_an_earlier_create_group_and_private_groups_are_used_by_settled_members_only(trace):
    header, records = trace
    groups: dict[int, dict] = {}  # ordinal of the CreateGroup -> {"private", "joined": {user: t}, "used": {user: t}}
    left: dict[tuple[int, int], int] = {}
    invited: dict[tuple[int, int], tuple[int, int]] = {}  # (group, invitee) -> (when, inviter)
    seen = Counter()
    for n, record in enumerate(records):
        rpc, t = record["rpc"], record["t"]
        if rpc == "CreateGroup":
            groups[n] = {"private": record["visibility"] == "private", "joined": {record["creator_id"]: -(10**9)}}
            groups[n]["used"] = {}
            continue
        if "group_ref" not in record:
            continue
        assert record["group_ref"] < n and records[record["group_ref"]]["rpc"] == "CreateGroup"
        group = groups[record["group_ref"]]
        members, used = group["joined"], group["used"]
        user = actor_of(record)
        seen[(rpc, group["private"])] += 1
        if rpc == "JoinGroup":
            joiner = record["user_id"]
            assert t - left.get((record["group_ref"], joiner), -(10**9)) >= MIN_REF_AGE_MS
            if "inviter_id" in record:  # an invitation: nobody joins until the invitee accepts
                inviter = record["inviter_id"]
                assert t - members[inviter] >= MIN_REF_AGE_MS, record
                used[inviter] = t
                invited[(record["group_ref"], joiner)] = (t, inviter)
                continue
            assert joiner not in members  # rejoining oneself is never needed
            if group["private"]:  # accepting an invitation made long enough ago, whose inviter stayed
                invited_at, inviter = invited.pop((record["group_ref"], joiner))
                assert t - invited_at >= MIN_REF_AGE_MS, record
                assert members.get(inviter, t) <= invited_at, record
                used[inviter] = t
            members[joiner] = t
        elif rpc == "LeaveGroup":
            assert t - members[user] >= MIN_REF_AGE_MS and t - used.get(user, -(10**9)) >= MIN_REF_AGE_MS, record
            assert len(members) > 1
            del members[user]
            left[(record["group_ref"], user)] = t
        elif rpc == "CreatePost" or group["private"]:
            assert rpc in MEMBER_ACTIONS
            assert t - members[user] >= MIN_REF_AGE_MS, record
            used[user] = t
    assert header.counts["groups"] > 12 and sum(1 for r in records if r["rpc"] == "CreateGroup") > 12
    for kind in ("JoinGroup", "LeaveGroup", "CreatePost", "GetGroupTimeline", "ListGroupMembers", "GetGroup"):
        assert seen[(kind, True)] > 0 and seen[(kind, False)] > 0, (kind, seen)


def test_group_lists_page_on_within_one_group(trace):
    _, records = trace
    last_read: dict[tuple[str, int, int], int] = {}
    nexts = 0
    for record in records:
        if record["rpc"] in ("GetGroupTimeline", "ListGroupMembers"):
            key = (record["rpc"], record["user_id"], record["group_ref"])
            if record.get("next"):
                nexts += 1
                assert record["t"] - last_read[key] >= MIN_REF_AGE_MS
            last_read.setdefault(key, record["t"])
    assert nexts > 10


def test_the_same_seed_and_organizations_write_the_same_bytes(tmp_path):
    params = GeneratorParams(users=40, requests=800, orgs=2, groups_per_org=3, mix=default_mix(True), seed=5)
    for name in ("a", "b"):
        write_trace(params, tmp_path / f"{name}.jsonl.gz", progress=False)
    write_trace(GeneratorParams(**{**params.__dict__, "seed": 6}), tmp_path / "c.jsonl.gz", progress=False)
    a, b, c = ((tmp_path / f"{n}.jsonl.gz").read_bytes() for n in "abc")
    assert a == b != c


def test_one_organization_without_groups_has_no_org_fields_and_the_old_header():
    header, records = _trace(orgs=1, groups_per_org=0)
    assert not any("org" in r or "group_ref" in r for r in records)
    assert set(header.counts) == {"graph", "stream", "requests"}
    assert not {"orgs", "groups_per_org", "group_posts"} & set(header.params)
    header, _ = _trace(orgs=2, groups_per_org=0)
    assert header.params["orgs"] == 2 and "groups_per_org" not in header.params


def test_too_few_users_per_organization_or_bad_shares_are_refused():
    with pytest.raises(InvalidArgument, match="at least 2 users each"):
        generate(GeneratorParams(users=5, requests=10, orgs=3))
    with pytest.raises(InvalidArgument, match="between 0 and 1"):
        generate(GeneratorParams(users=10, requests=10, private_groups=1.5))
