"""Reposts through gRPC on a running stack (docs/reposts.md): shown to the reposter's followers at the
time of the repost as the original post, once per timeline and per walk of pages, gone with the original,
hidden by blocks and mutes of either user, refused like an unknown post where the reposter may not see it,
and back after Redis loses everything."""

from __future__ import annotations

import grpc
import pytest

from feed.ids import IdGenerator
from feed.redis.connection import connect
from feed.redis.keys import home_timeline_key
from feed.v1 import post_service_pb2
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import OrgUsers, client_of, drained, eventually, new_org, new_user, private_stack
from tests.integration.streams import watch_live

pytestmark = pytest.mark.integration
USERS = OrgUsers()


@pytest.fixture(scope="module")
def rstack(tmp_path_factory):
    """A stack of this module's own (it flushes Redis), with the lowered celebrity threshold."""
    with private_stack(tmp_path_factory, "reposts", workers=1, celebrity_threshold=CELEBRITY_THRESHOLD) as running:
        yield running


@pytest.fixture(scope="module")
def rc(rstack):
    with client_of(rstack, USERS.org, USERS.is_admin) as c:
        yield c


def repost(client, user: int, post_id: int):
    return client.posts.Repost(post_service_pb2.RepostRequest(user_id=user, post_id=post_id), timeout=10)


def unrepost(client, user: int, post_id: int) -> None:
    client.posts.Unrepost(post_service_pb2.UnrepostRequest(user_id=user, post_id=post_id), timeout=10)


def home(client, user: int, page_size: int = 100) -> list[tuple[int, int]]:
    """(post id, reposted by) of every entry of a home timeline, walking all pages."""
    entries: list[tuple[int, int]] = []
    token = ""
    for _ in range(1000):
        page = client.home(user, page_size, token)
        entries += [(p.post_id, p.reposted_by_user_id) for p in page.posts]
        token = page.next_page_token
        if not token:
            return entries
    raise AssertionError("paging did not end")


def ids(client, user: int, page_size: int = 100) -> list[int]:
    return [post_id for post_id, _ in home(client, user, page_size)]


def users(client, n: int) -> list[int]:
    """n new users, each with a materialized home timeline (so fan-out reaches it)."""
    made = [new_user() for _ in range(n)]
    for user in made:
        client.home(user)
    return made


def error_of(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value.details()


def test_a_repost_reaches_the_reposters_followers_once_and_goes_with_the_original(rstack, rc):
    """What must hold 1 of issue 23."""
    a, b, c, d, e, f = users(rc, 6)
    rc.follow(c, b)
    for followee in (a, b, e, f):
        rc.follow(d, followee)
    post = rc.post(a, "worth sharing").post_id
    eventually(lambda: post in ids(rc, d))

    shared = repost(rc, b, post)
    assert (shared.post_id, shared.author_id, shared.reposted_by_user_id) == (post, a, b)
    eventually(lambda: (post, b) in home(rc, c))
    repost(rc, e, post)
    repost(rc, f, post)
    eventually(lambda: drained(rstack), timeout_s=30)
    assert ids(rc, d).count(post) == 1
    # Not only hidden: the newest-40 rule kept the reposts out of D's list (the original is near its top).
    raw = connect(rstack.settings.redis_url).lrange(home_timeline_key(d), 0, -1)
    assert len([x for x in raw if x != b"0"]) == 1
    assert (post, b) in [(p.post_id, p.reposted_by_user_id) for p in rc.user_timeline(b).posts]
    assert rc.posts.GetPost(post_service_pb2.GetPostRequest(post_id=post), timeout=10).repost_count == 3

    rc.delete(a, post)
    for reader in (a, b, c, d, e, f):
        assert post not in ids(rc, reader), reader  # at once: the original's tombstone hides every repost
    assert post not in [p.post_id for p in rc.user_timeline(b).posts]
    eventually(lambda: drained(rstack), timeout_s=30)
    redis = connect(rstack.settings.redis_url)
    assert redis.llen(home_timeline_key(c)) <= 1  # the worker removed the repost entry (a mark may remain)


def test_repost_is_idempotent_and_unrepost_takes_it_back(rstack, rc):
    a, b, c = users(rc, 3)
    rc.follow(c, b)
    post = rc.post(a, "once").post_id
    first, second = repost(rc, b, post), repost(rc, b, post)
    assert first == second and first.repost_count == 1
    eventually(lambda: (post, b) in home(rc, c))
    unrepost(rc, b, post)
    assert post not in ids(rc, c)  # at once
    unrepost(rc, b, post)  # nothing left to take back: OK
    assert rc.posts.GetPost(post_service_pb2.GetPostRequest(post_id=post), timeout=10).repost_count == 0
    again = repost(rc, b, post)  # a new repost, at a new time
    assert again.repost_count == 1
    eventually(lambda: (post, b) in home(rc, c))


def test_blocks_and_mutes_of_the_author_or_the_reposter_hide_the_repost(rstack, rc):
    a, b, c, d, e, f = users(rc, 6)
    for reader in (c, d, e, f):
        rc.follow(reader, b)
    post = rc.post(a, "hide me").post_id
    repost(rc, b, post)
    eventually(lambda: all((post, b) in home(rc, r) for r in (c, d, e, f)))
    rc.block(c, a)  # the reader blocks the author
    rc.block(a, d)  # the author blocks the reader
    rc.mute(e, a)
    rc.mute(f, b)
    for reader in (c, d, e, f):
        assert post not in ids(rc, reader), reader


def test_a_post_the_reposter_may_not_see_is_refused_as_an_unknown_one(rstack, rc):
    a, b, blocked = users(rc, 3)
    stranger = USERS.member(rc, new_org())
    private = rc.create_group(a, "secret", private=True)
    secret = rc.post(a, "members only", group=private).post_id
    theirs = rc.post(stranger, "another organization").post_id
    mine = rc.post(a, "blocked").post_id
    rc.block(a, blocked)
    gone = rc.post(a, "deleted").post_id
    rc.delete(a, gone)
    unknown = IdGenerator().next_id()
    expected = error_of(lambda: repost(rc, b, unknown))
    assert expected[0] == grpc.StatusCode.NOT_FOUND
    for post, user in ((secret, b), (theirs, b), (mine, blocked), (gone, b)):
        code, message = error_of(lambda post=post, user=user: repost(rc, user, post))
        assert (code, message.replace(str(post), "ID")) == (expected[0], expected[1].replace(str(unknown), "ID"))
    assert repost(rc, a, mine).reposted_by_user_id == a  # one's own post: allowed (docs/reposts.md)


def test_a_celebrity_reposter_is_merged_at_read_time_and_shown_once(rstack, rc):
    a, star, d = users(rc, 3)
    fans = users(rc, CELEBRITY_THRESHOLD + 1)
    for fan in fans:
        rc.follow(fan, star)
    rc.follow(d, a)
    rc.follow(d, star)
    post = rc.post(a, "seen by a star").post_id
    eventually(lambda: post in ids(rc, d))
    repost(rc, star, post)
    eventually(lambda: all((post, star) in home(rc, fan) for fan in fans))
    eventually(lambda: drained(rstack), timeout_s=30)
    assert ids(rc, d).count(post) == 1  # the star's list and D's timeline both hold it: the page shows it once


def test_a_walk_of_older_pages_shows_a_reposted_post_once(rstack, rc):
    a, b, other, reader = users(rc, 4)
    for followee in (a, b, other):
        rc.follow(reader, followee)
    post = rc.post(a, "old news").post_id
    for n in range(45):  # the original falls out of the newest 40: the repost is pushed too
        rc.post(other, f"filler {n}")
    repost(rc, b, post)
    eventually(lambda: drained(rstack), timeout_s=30)
    raw = connect(rstack.settings.redis_url).lrange(home_timeline_key(reader), 0, -1)
    assert len([x for x in raw if x != b"0"]) == 47  # both entries are in the list
    walked = home(rc, reader, page_size=5)
    assert [entry for entry in walked if entry[0] == post] == [(post, b)]  # shown once, at the repost's time
    assert walked[0] == (post, b)


def test_reposts_come_back_once_after_redis_loses_everything(rstack, rc):
    a, b, e, c, d = users(rc, 5)
    rc.follow(c, b)
    for followee in (a, b, e):
        rc.follow(d, followee)
    post = rc.post(a, "durable").post_id
    repost(rc, b, post)
    repost(rc, e, post)
    eventually(lambda: drained(rstack), timeout_s=30)
    eventually(lambda: (post, b) in home(rc, c))
    connect(rstack.settings.redis_url).flushall()
    assert (post, b) in home(rc, c)
    assert ids(rc, d).count(post) == 1


def test_a_repost_streams_to_the_reposters_followers_as_its_original(rstack, rc):
    a, b, c = users(rc, 3)
    rc.follow(c, b)
    post = rc.post(a, "live").post_id
    watcher = watch_live(rc, rstack.settings.stream_addr, c, b)
    try:
        repost(rc, b, post)
        assert watcher.wait_for(lambda w: post in w.posts(), 10.0)
        shown = next(e.post for e in watcher.events if e.HasField("post") and e.post.post_id == post)
        assert (shown.author_id, shown.reposted_by_user_id, shown.text) == (a, b, "live")
    finally:
        watcher.close()


def test_a_follow_brings_the_followees_reposts_and_an_unfollow_takes_them_out(rstack, rc):
    a, b, c = users(rc, 3)
    post = rc.post(a, "shared before the follow").post_id
    repost(rc, b, post)
    eventually(lambda: drained(rstack), timeout_s=30)
    rc.follow(c, b)
    eventually(lambda: (post, b) in home(rc, c))
    rc.unfollow(c, b)
    assert post not in ids(rc, c)
    eventually(lambda: drained(rstack), timeout_s=30)
    raw = connect(rstack.settings.redis_url).lrange(home_timeline_key(c), 0, -1)
    assert [x for x in raw if x != b"0"] == []
