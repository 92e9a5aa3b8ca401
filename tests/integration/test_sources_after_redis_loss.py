"""Read-time sources after Redis loses everything (README "Losing Redis"): a source that crosses the threshold
after the flush is merged into its followers' pages, one registered before it still shows its posts, and one
that falls back under the threshold is fanned out on write again. A stack of this module's own (it flushes
Redis), with the lowered celebrity threshold; each test signs its users in to an organization of its own, so
each starts from a registry (and a read process's copy of it) only it has touched."""

from __future__ import annotations

import pytest

from feed.redis.connection import connect
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import OrgUsers, client_of, drained, eventually, new_org, private_stack
from tests.integration.test_reposts import home, ids, repost

pytestmark = pytest.mark.integration
USERS = OrgUsers()
SHOWN_WITHIN_S = 20.0  # well under the read process's 60 s refetch of its registry copy, well over a loaded fan-out


@pytest.fixture(scope="module")
def sstack(tmp_path_factory):
    with private_stack(tmp_path_factory, "rtsource", workers=1, celebrity_threshold=CELEBRITY_THRESHOLD) as running:
        yield running


@pytest.fixture(scope="module")
def sc(sstack):
    with client_of(sstack, USERS.org, USERS.is_admin) as c:
        yield c


def members(client, org: int, n: int) -> list[int]:
    """n new users signed in to org, each with a materialized home timeline."""
    return [USERS.member(client, org) for _ in range(n)]


def celebrity(stack, client, org: int, followers: list[int]) -> int:
    """A new user of org followed by the given users (more than the threshold: a read-time source once posting),
    once the follows are applied: a post of theirs is then in their own list only, never in a follow's backfill."""
    assert len(followers) > CELEBRITY_THRESHOLD
    user = USERS.member(client, org)
    for follower in followers:
        client.follow(follower, user)
    eventually(lambda: drained(stack), timeout_s=30)
    return user


def flush(stack) -> None:
    """Redis loses everything once the stack has applied every event so far."""
    eventually(lambda: drained(stack), timeout_s=30)
    connect(stack.settings.redis_url).flushall()


@pytest.mark.parametrize("before_flush", [1, 2], ids=["version-repeats", "version-goes-back"])
def test_a_source_crossing_the_threshold_after_redis_lost_everything_is_merged(sstack, sc, before_flush):
    """The read process saw the registry change before_flush times; after the flush the registry starts
    over, and one registration later its version is the one the reader knows, or below it."""
    org = new_org()
    reader, *others = members(sc, org, CELEBRITY_THRESHOLD + 1)
    earlier_posts = []
    for _ in range(before_flush):  # one at a time: each registration is a change the reader sees
        earlier_posts.append(sc.post(celebrity(sstack, sc, org, [reader, *others]), "before the flush").post_id)
        eventually(lambda: earlier_posts[-1] in ids(sc, reader), timeout_s=SHOWN_WITHIN_S)
    flush(sstack)
    assert set(earlier_posts) <= set(ids(sc, reader))  # rebuilt from the store, before the new source posts

    star = celebrity(sstack, sc, org, [reader, *others])
    post = sc.post(star, "after the flush").post_id
    outsider = USERS.member(sc, org)
    shared = sc.post(outsider, "reposted after the flush").post_id
    repost(sc, star, shared)

    eventually(lambda: {(post, 0), (shared, star)} <= set(home(sc, reader)), timeout_s=SHOWN_WITHIN_S)
    assert ids(sc, reader).count(shared) == 1


def test_a_source_registered_before_redis_lost_everything_is_still_merged_after_it(sstack, sc):
    org = new_org()
    reader, *others = members(sc, org, CELEBRITY_THRESHOLD + 1)
    star = celebrity(sstack, sc, org, [reader, *others])
    first = sc.post(star, "before the flush").post_id
    eventually(lambda: first in ids(sc, reader), timeout_s=SHOWN_WITHIN_S)
    flush(sstack)

    assert first in ids(sc, reader)  # the rebuild reads the store
    second = sc.post(star, "after the flush").post_id
    eventually(lambda: second in ids(sc, reader), timeout_s=SHOWN_WITHIN_S)
    assert ids(sc, reader)[:2] == [second, first]


def test_a_source_falling_under_the_threshold_after_redis_lost_everything_is_fanned_out_on_write(sstack, sc):
    org = new_org()
    reader, *others = members(sc, org, CELEBRITY_THRESHOLD + 1)
    star = celebrity(sstack, sc, org, [reader, *others])
    first = sc.post(star, "read-time").post_id
    eventually(lambda: first in ids(sc, reader), timeout_s=SHOWN_WITHIN_S)
    flush(sstack)
    assert first in ids(sc, reader)  # rebuilt from the store

    leaver = others[0]
    sc.unfollow(leaver, star)
    second = sc.post(star, "fanned out on write").post_id
    eventually(lambda: second in ids(sc, reader), timeout_s=SHOWN_WITHIN_S)
    assert ids(sc, reader)[:2] == [second, first]
    eventually(lambda: drained(sstack), timeout_s=30)
    assert not {first, second} & set(ids(sc, leaver))
