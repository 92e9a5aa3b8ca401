"""Organizations on one stack see nothing of each other, through any RPC.

Every user here signs in with a token of their organization; a user, post or
group of another organization must answer exactly as one that does not exist.
"""

from __future__ import annotations

import grpc
import pytest

from feed.v1 import (
    feed_service_pb2,
    graph_service_pb2,
    group_service_pb2,
    post_service_pb2,
)
from tests.integration.stack import OrgUsers, client_of, eventually, new_org, new_user

USERS = OrgUsers()


@pytest.fixture(scope="module")
def oc(semantics_stack):
    with client_of(semantics_stack, USERS.org, USERS.is_admin) as c:
        yield c


def status_of(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value.details()


def followers(oc, reader: int, user: int) -> list[int]:
    request = graph_service_pb2.ListFollowersRequest(user_id=user, page_size=100)
    return list(oc.graph.ListFollowers(request, metadata=oc.acting_as(reader), timeout=10).follower_ids)


def user_posts(oc, reader: int, user: int) -> list[int]:
    request = feed_service_pb2.GetUserTimelineRequest(user_id=user)
    return [p.post_id for p in oc.feed.GetUserTimeline(request, metadata=oc.acting_as(reader), timeout=10).posts]


def get_post(oc, reader: int, post: int):
    return oc.posts.GetPost(post_service_pb2.GetPostRequest(post_id=post), metadata=oc.acting_as(reader), timeout=10)


def answer_of(call, named: int) -> tuple[object, str]:
    """What a client sees of call(): its status and details, or OK and the response, with the
    id it named written as ID (so answers about two different ids can be compared)."""
    try:
        answer: tuple[object, str] = ("OK", str(call()))
    except grpc.RpcError as err:
        answer = (err.code(), err.details())
    return answer[0], answer[1].replace(str(named), "ID")


def assert_answered_like_nothing(call_on, real: int, missing: int, expected=grpc.StatusCode.NOT_FOUND) -> None:
    """call_on(id) on another organization's id answers exactly as on an id nobody has."""
    answer = answer_of(lambda: call_on(real), real)
    assert answer == answer_of(lambda: call_on(missing), missing)
    assert answer[0] == expected, answer


@pytest.mark.parametrize("outsider_org", ["another company", "the default organization"])
def test_two_organizations_see_nothing_of_each_other(oc, semantics_stack, outsider_org):
    """A user of organization B, a company or the default open network, learns nothing of org A.

    In the default organization, naming an id that is not one of its users (follow, block, list,
    read) is answered as for an id that never signed in: OK, and nothing to show."""
    org_a, org_b = new_org(), (new_org() if outsider_org == "another company" else 0)
    named_user = grpc.StatusCode.NOT_FOUND if org_b else "OK"
    a1, a2 = USERS.member(oc, org_a), USERS.member(oc, org_a)
    b1 = USERS.member(oc, org_b)
    oc.follow(a2, a1)
    post = oc.post(a1, "org A only").post_id
    open_group = oc.create_group(a1, "A open")
    private_group = oc.create_group(a1, "A private", private=True)
    group_post = oc.post(a1, "A group post", group=open_group).post_id
    ghost_user, ghost_post, ghost_group = new_user(), 1 << 62, (1 << 62) + 1

    graph, posts, groups, feed = oc.graph, oc.posts, oc.groups, oc.feed
    by_user = [
        lambda u: graph.Follow(graph_service_pb2.FollowRequest(follower_id=b1, followee_id=u), timeout=10),
        lambda u: graph.ListFollowers(
            graph_service_pb2.ListFollowersRequest(user_id=u), metadata=oc.acting_as(b1), timeout=10
        ),
        lambda u: graph.ListFollowing(
            graph_service_pb2.ListFollowingRequest(user_id=u), metadata=oc.acting_as(b1), timeout=10
        ),
        lambda u: feed.GetUserTimeline(
            feed_service_pb2.GetUserTimelineRequest(user_id=u), metadata=oc.acting_as(b1), timeout=10
        ),
        lambda u: graph.Unfollow(graph_service_pb2.UnfollowRequest(follower_id=b1, followee_id=u), timeout=10),
        lambda u: graph.Block(graph_service_pb2.BlockRequest(blocker_id=b1, blocked_id=u), timeout=10),
        lambda u: graph.Unblock(graph_service_pb2.UnblockRequest(blocker_id=b1, blocked_id=u), timeout=10),
    ]
    for call in by_user:
        assert_answered_like_nothing(call, a1, ghost_user, named_user)
    by_post = [
        lambda p: posts.GetPost(post_service_pb2.GetPostRequest(post_id=p), metadata=oc.acting_as(b1), timeout=10),
        lambda p: posts.DeletePost(post_service_pb2.DeletePostRequest(author_id=b1, post_id=p), timeout=10),
    ]
    for call in by_post:
        assert_answered_like_nothing(call, post, ghost_post)
        assert_answered_like_nothing(call, group_post, ghost_post)
    by_group = [
        lambda g: oc.post(b1, "intrusion", group=g),
        lambda g: groups.GetGroup(group_service_pb2.GetGroupRequest(group_id=g, user_id=b1), timeout=10),
        lambda g: oc.join(g, b1),
        lambda g: oc.members(g, b1),
        lambda g: oc.group_timeline(g, b1),
    ]
    for call in by_group:
        assert_answered_like_nothing(call, open_group, ghost_group)
        assert_answered_like_nothing(call, private_group, ghost_group)
    # Leaving a group one is not in answers OK (a retried leave finishes as the first did),
    # for another organization's group exactly as for one nobody has.
    for group in (open_group, private_group, ghost_group):
        oc.leave(group, b1)
    # Adding someone of another organization to one's own group: as if they did not exist.
    b_group = oc.create_group(b1, "B group")
    assert_answered_like_nothing(lambda u: oc.join(b_group, u, inviter=b1), a1, ghost_user, named_user)

    # Org A works among itself; org B's feeds and lists hold nothing of org A.
    if not org_b:
        oc.follow(b1, a1)  # an edge across organizations: kept, without effect
    later = oc.post(a1, "org A, after B followed").post_id
    eventually(lambda: {post, later} <= set(oc.home_ids(a2)))
    assert [p.post_id for p in oc.home(b1).posts] == []
    assert followers(oc, a1, a1) == [a2]  # org A is not shown org B's follower
    assert {g.org_id for g in oc.my_groups(b1)} == {org_b}
    assert oc.members(b_group, b1) == [b1]


def test_a_token_of_another_organization_is_refused_for_a_bound_user(oc, semantics_stack):
    user = USERS.member(oc, new_org())
    USERS.orgs[user] = new_org()  # the same user id, now with a token naming another organization
    code, details = status_of(lambda: oc.home(user))
    assert code == grpc.StatusCode.PERMISSION_DENIED, details


def test_an_organization_other_than_the_default_cannot_name_a_user_who_never_signed_in(oc):
    org = new_org()
    a = USERS.member(oc, org)
    stranger = new_user()
    code, _ = status_of(lambda: oc.follow(a, stranger))
    assert code == grpc.StatusCode.NOT_FOUND
    USERS.orgs[stranger] = org
    oc.home(stranger)  # signs in
    oc.follow(a, stranger)


def test_an_id_named_in_the_default_organization_before_it_signed_in_can_join_another(oc):
    """Follows, blocks and invites of an id by default-organization users bind nothing: its owner
    signs in to organization 7 and works there, and the default organization sees nothing of it."""
    z, y = USERS.member(oc, 0), USERS.member(oc, 0)
    stranger, ghost = new_user(), new_user()
    z_group = oc.create_group(z, "Z's group", private=True)
    for named in (stranger, ghost):
        oc.follow(z, named)
        oc.block(y, named)
        oc.join(z_group, named, inviter=z)
    org = new_org()
    USERS.orgs[stranger] = org
    oc.home(stranger)  # signs in, to organization 7: nothing bound it to the default organization
    colleague = USERS.member(oc, org)
    oc.follow(colleague, stranger)
    mine = oc.post(stranger, "inside organization 7").post_id
    eventually(lambda: mine in oc.home_ids(colleague))
    assert get_post(oc, colleague, mine).post_id == mine
    # The default organization sees nothing of it, and as for an id that exists nowhere.
    assert mine not in oc.home_ids(z)
    assert user_posts(oc, z, stranger) == user_posts(oc, z, ghost) == []
    assert followers(oc, z, stranger) == [z] and followers(oc, z, ghost) == [z]  # z's own edge: nothing of org 7
    assert followers(oc, colleague, stranger) == [colleague]  # and org 7 sees nothing of z
    code, _ = status_of(lambda: oc.join(z_group, stranger))  # the invitation cannot cross organizations
    assert code == grpc.StatusCode.NOT_FOUND
