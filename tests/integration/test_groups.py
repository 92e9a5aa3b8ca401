"""Groups as their members see them: posts reach members' home timelines and the group's own,
leaving takes them away, private groups stay among members, admins announce to everyone, and
nobody is put into a group without their consent.

Runs on the semantics stack, whose celebrity threshold is 3: a group of more than three
members is fanned out on read, so both paths are exercised.
"""

from __future__ import annotations

import grpc
import pytest

from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import AuthKeys
from feed.access.versions import RedisRelationshipVersions
from feed.config import Settings
from feed.redis.connection import RedisFunctions
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.v1 import feed_service_pb2, group_service_pb2, post_service_pb2
from services.server import build_server
from services.write_service import SERVICE_NAMES, wire_servicers
from tests.integration.stack import Client, OrgUsers, client_of, drained, eventually, new_org, new_user

USERS = OrgUsers()
KEYS = AuthKeys("HS256", "s" * 32, "s" * 32)
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
def gc(semantics_stack):
    with client_of(semantics_stack, USERS.org, USERS.is_admin) as c:
        yield c


@pytest.fixture
def org(gc) -> int:
    return new_org()


def code_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code()


def group_ids(c, group: int, reader: int) -> list[int]:
    return [p.post_id for p in c.group_timeline(group, reader, page_size=100).posts]


def open_group(c, org: int, members: int, name: str) -> tuple[int, int, list[int]]:
    """(creator, group, the other members) of a new open group of `members` members."""
    creator = USERS.member(c, org)
    group = c.create_group(creator, name)
    others = [USERS.member(c, org) for _ in range(members - 1)]
    for user in others:
        c.join(group, user)
    return creator, group, others


@pytest.mark.parametrize("members", [2, 5], ids=["fanned-out-on-write", "fanned-out-on-read"])
def test_a_group_post_reaches_members_only_and_the_groups_timeline(gc, org, members):
    author, group, others = open_group(gc, org, members, "team")
    follower_not_member = USERS.member(gc, org)
    gc.follow(follower_not_member, author)
    outsider = USERS.member(gc, org)

    post = gc.post(author, "to the team", group=group)
    assert post.group_id == group
    for user in [author, *others]:
        eventually(lambda user=user: post.post_id in gc.home_ids(user))
    assert group_ids(gc, group, outsider) == [post.post_id]  # an open group: anyone in the org reads it
    plain = gc.post(author, "to my followers").post_id
    eventually(lambda: plain in gc.home_ids(follower_not_member))
    assert post.post_id not in gc.home_ids(follower_not_member)
    assert post.post_id not in gc.home_ids(outsider)
    assert post.post_id not in [p.post_id for p in gc.user_timeline(author).posts]  # it lives in its group


@pytest.mark.parametrize("members", [2, 5], ids=["fanned-out-on-write", "fanned-out-on-read"])
def test_leaving_takes_the_groups_posts_away_and_joining_brings_them(gc, org, members):
    author, group, users = open_group(gc, org, members, "club")
    leaver = users[0]
    posts = [gc.post(author, f"club news {i}", group=group).post_id for i in range(3)]
    eventually(lambda: set(posts) <= set(gc.home_ids(leaver)))

    gc.leave(group, leaver)
    assert not set(posts) & set(gc.home_ids(leaver))  # at once: reads check membership
    assert leaver not in gc.members(group, author)
    later = gc.post(author, "after the leave", group=group).post_id
    eventually(lambda: later in gc.home_ids(author))
    assert later not in gc.home_ids(leaver)

    newcomer = USERS.member(gc, org)
    gc.join(group, newcomer)
    eventually(lambda: set(posts) | {later} <= set(gc.home_ids(newcomer)))  # the join backfills
    assert {g.group_id for g in gc.my_groups(newcomer)} >= {group}


def test_only_members_post_to_or_read_a_private_group(gc, org):
    owner = USERS.member(gc, org)
    group = gc.create_group(owner, "secret", private=True)
    stranger = USERS.member(gc, org)
    secret = gc.post(owner, "members only", group=group).post_id

    assert code_of(lambda: gc.group_timeline(group, stranger)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: gc.post(stranger, "let me in", group=group)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: gc.join(group, stranger)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: gc.members(group, stranger)) == grpc.StatusCode.NOT_FOUND
    get_post = post_service_pb2.GetPostRequest(post_id=secret)
    assert code_of(lambda: gc.posts.GetPost(get_post, metadata=gc.acting_as(stranger), timeout=10)) == NOT_FOUND
    assert group not in {g.group_id for g in gc.my_groups(stranger)}

    gc.join(group, stranger, inviter=owner)  # a member invites them: still outside until they accept
    assert code_of(lambda: gc.group_timeline(group, stranger)) == grpc.StatusCode.NOT_FOUND
    assert gc.members(group, owner) == [owner]
    gc.join(group, stranger)  # accepted
    assert group_ids(gc, group, stranger) == [secret]
    eventually(lambda: secret in gc.home_ids(stranger))
    gc.post(stranger, "thanks", group=group)


def test_members_of_an_open_group_post_and_others_must_join_first(gc, org):
    owner = USERS.member(gc, org)
    group = gc.create_group(owner, "open")
    other = USERS.member(gc, org)
    assert code_of(lambda: gc.post(other, "hi", group=group)) == grpc.StatusCode.PERMISSION_DENIED
    gc.join(group, other)
    gc.join(group, other)  # twice is a no-op
    assert sorted(gc.members(group, other)) == sorted([owner, other])
    gc.post(other, "hi", group=group)


def test_admins_announce_to_everyone_in_their_organization_only(gc, org):
    admin = USERS.member(gc, org, admin=True)
    staff = [USERS.member(gc, org) for _ in range(5)]  # more than the threshold: fanned out on read
    elsewhere = USERS.member(gc, new_org())
    announcements = [g for g in gc.my_groups(staff[0]) if g.kind == group_service_pb2.GROUP_KIND_ANNOUNCEMENTS]
    assert len(announcements) == 1 and announcements[0].org_id == org
    group = announcements[0].group_id

    news = gc.post(admin, "all hands at 3", group=group).post_id
    for user in [admin, *staff]:
        eventually(lambda user=user: news in gc.home_ids(user))
    assert news not in gc.home_ids(elsewhere)
    assert code_of(lambda: gc.post(staff[0], "not an admin", group=group)) == grpc.StatusCode.PERMISSION_DENIED
    assert code_of(lambda: gc.leave(group, staff[0])) == grpc.StatusCode.FAILED_PRECONDITION
    late = USERS.member(gc, org)  # joins the organization after the announcement
    eventually(lambda: news in gc.home_ids(late))


def reads_as(c, reader: int, author: int, post: int) -> tuple[grpc.StatusCode, grpc.StatusCode]:
    """The codes of GetPost(post) and GetUserTimeline(author) called by reader."""

    def code(call) -> grpc.StatusCode:
        try:
            call()
        except grpc.RpcError as err:
            return err.code()
        return grpc.StatusCode.OK

    meta = c.acting_as(reader)
    get_post = post_service_pb2.GetPostRequest(post_id=post)
    user_timeline = feed_service_pb2.GetUserTimelineRequest(user_id=author)
    return (
        code(lambda: c.posts.GetPost(get_post, metadata=meta, timeout=10)),
        code(lambda: c.feed.GetUserTimeline(user_timeline, metadata=meta, timeout=10)),
    )


@pytest.mark.parametrize("members", [2, 5], ids=["fanned-out-on-write", "fanned-out-on-read"])
@pytest.mark.parametrize("blocker", ["author", "reader"])
def test_a_block_either_way_hides_group_posts_in_every_timeline(semantics_stack, gc, org, members, blocker):
    author, group, others = open_group(gc, org, members, "shared")
    reader, bystander = others[0], others[-1] if members > 2 else author
    before = gc.post(author, "before the block", group=group).post_id
    eventually(lambda: before in gc.home_ids(reader))
    assert reads_as(gc, reader, author, before) == (grpc.StatusCode.OK, grpc.StatusCode.OK)

    gc.block(*((author, reader) if blocker == "author" else (reader, author)))
    # At once, whatever the workers have applied: the group, home and user timelines and GetPost.
    assert before not in gc.home_ids(reader)
    assert group_ids(gc, group, reader) == []
    assert reads_as(gc, reader, author, before) == (DENIED, DENIED)
    assert reads_as(gc, author, reader, before)[1] == DENIED  # and the other way round
    after = gc.post(author, "after the block", group=group).post_id
    eventually(lambda: drained(semantics_stack))
    assert after in gc.home_ids(bystander)
    assert {before, after}.isdisjoint(gc.home_ids(reader))
    assert group_ids(gc, group, reader) == []
    assert group_ids(gc, group, bystander) == [after, before]


@pytest.mark.parametrize("blocker", ["inviter", "invitee"])
def test_nobody_is_added_to_a_group_by_someone_blocked_either_way(gc, org, blocker):
    inviter, invitee = USERS.member(gc, org), USERS.member(gc, org)
    group = gc.create_group(inviter, "club")
    gc.block(*((inviter, invitee) if blocker == "inviter" else (invitee, inviter)))
    with pytest.raises(grpc.RpcError) as err:
        gc.join(group, invitee, inviter=inviter)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "one of you has blocked the other" in err.value.details()  # the same whoever blocked
    assert gc.members(group, inviter) == [inviter]
    # The other way round: the invitee's group, and the inviter may not be added by them either.
    theirs = gc.create_group(invitee, "theirs")
    assert code_of(lambda: gc.join(theirs, inviter, inviter=invitee)) == grpc.StatusCode.FAILED_PRECONDITION
    assert gc.members(theirs, invitee) == [invitee]


@pytest.mark.parametrize("members", [2, 5], ids=["fanned-out-on-write", "fanned-out-on-read"])
def test_an_invitation_adds_nothing_until_the_invitee_accepts_and_accepting_backfills(
    semantics_stack, gc, org, members
):
    author, group, _ = open_group(gc, org, members, "club")
    posts = [gc.post(author, f"club news {i}", group=group).post_id for i in range(2)]
    invitee = USERS.member(gc, org)
    gc.join(group, invitee, inviter=author)
    eventually(lambda: drained(semantics_stack))
    assert invitee not in gc.members(group, author)
    assert group not in {g.group_id for g in gc.my_groups(invitee)}
    assert set(posts).isdisjoint(gc.home_ids(invitee))

    gc.join(group, invitee)  # accepted
    assert invitee in gc.members(group, author)
    eventually(lambda: set(posts) <= set(gc.home_ids(invitee)))


@pytest.mark.parametrize("blocker", ["inviter", "invitee"])
def test_an_invitation_made_before_a_block_either_way_never_lets_the_invitee_in(gc, org, blocker):
    inviter, invitee = USERS.member(gc, org), USERS.member(gc, org)
    group = gc.create_group(inviter, "secret", private=True)
    gc.join(group, invitee, inviter=inviter)
    gc.block(*((inviter, invitee) if blocker == "inviter" else (invitee, inviter)))
    assert code_of(lambda: gc.join(group, invitee)) == NOT_FOUND  # as if the group did not exist
    gc.unblock(*((inviter, invitee) if blocker == "inviter" else (invitee, inviter)))
    assert gc.members(group, inviter) == [inviter]
    gc.join(group, invitee)  # the invitation was never spent: without the block it lets them in
    assert sorted(gc.members(group, inviter)) == sorted([inviter, invitee])


def test_an_org_admins_add_is_immediate_but_not_across_a_block(gc, org):
    admin = USERS.member(gc, org, admin=True)
    added, blocker = USERS.member(gc, org), USERS.member(gc, org)
    group = gc.create_group(admin, "staff", private=True)
    gc.join(group, added, inviter=admin)
    assert sorted(gc.members(group, admin)) == sorted([admin, added])
    gc.block(blocker, admin)
    assert code_of(lambda: gc.join(group, blocker, inviter=admin)) == grpc.StatusCode.FAILED_PRECONDITION
    assert blocker not in gc.members(group, admin)


@pytest.mark.parametrize("default_org", [False, True], ids=["an organization", "the default organization"])
def test_inviting_an_id_of_another_organization_answers_as_inviting_one_that_exists_nowhere(gc, org, default_org):
    inviter = USERS.member(gc, 0 if default_org else org)
    group = gc.create_group(inviter, "club")
    elsewhere, nowhere = USERS.member(gc, new_org()), new_user()

    def answer(invitee: int) -> tuple[grpc.StatusCode, str]:
        try:
            gc.join(group, invitee, inviter=inviter)
        except grpc.RpcError as err:
            return err.code(), err.details().replace(str(invitee), "ID")
        return grpc.StatusCode.OK, ""

    assert answer(elsewhere) == answer(nowhere)
    assert answer(nowhere) == ((grpc.StatusCode.OK, "") if default_org else (NOT_FOUND, "user ID not found"))
    assert gc.members(group, inviter) == [inviter]


class Clock:
    """The write service's clock, moved by the test: what lets an invitation lapse without waiting."""

    def __init__(self) -> None:
        self.now_ms = 1_760_000_000_000

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def lapsing(tmp_path, redis_client):
    """A write service whose invitations live a minute, on a clock the test moves, and a client."""
    clock = Clock()
    store = open_store(f"sqlite:///{tmp_path / 'feed.db'}")
    limits = RedisRateLimiter(redis_client, 1000, 1000)
    cache = RedisPostCache(redis_client, ttl_s=60)
    settings = Settings(group_invite_ttl_s=60)
    versions = RedisRelationshipVersions(RedisFunctions(redis_client))
    wiring = wire_servicers(settings, store, cache, limits, limits, clock=clock, versions=versions)
    server, _, port = build_server("127.0.0.1:0", wiring.register, SERVICE_NAMES, KEYS, 4, wiring.on_caller)
    server.start()
    client = Client(f"127.0.0.1:{port}", f"127.0.0.1:{port}", KEYS)
    yield client, clock
    client.close()
    server.stop(None)
    store.close()


def test_an_expired_invitation_cannot_be_accepted(lapsing):
    c, clock = lapsing
    owner, late, prompt = new_user(), new_user(), new_user()
    group = c.create_group(owner, "secret", private=True)
    c.join(group, late, inviter=owner)
    clock.now_ms += 60_000
    assert code_of(lambda: c.join(group, late)) == NOT_FOUND
    c.join(group, prompt, inviter=owner)
    clock.now_ms += 59_999
    c.join(group, prompt)
    assert sorted(c.members(group, owner)) == sorted([owner, prompt])
