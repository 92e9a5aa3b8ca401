"""plan_fanout is pure: who receives what, decided from facts fetched beforehand."""

from __future__ import annotations

from feed.domain import Source
from feed.events import Envelope, Followed, GroupJoined, GroupLeft, PostCreated, PostDeleted, Unfollowed
from feed.fanout.plan import plan_fanout
from feed.fanout.resolve import Facts


def env(event) -> Envelope:
    return Envelope("e", 0, event)


def author(author_id: int) -> Source:
    return Source(author_id=author_id)


def group(group_id: int) -> Source:
    return Source(group_id=group_id)


def facts(followers=None, live=(), following=()) -> Facts:
    return Facts(followers=followers or {}, live_posts=set(live), following=set(following))


def test_a_post_reaches_the_author_and_every_follower():
    plan = plan_fanout([env(PostCreated(100, 1))], facts({author(1): [2, 3]}, live=[100]))
    assert sorted(plan.pushes) == [(1, 100), (2, 100), (3, 100)]
    assert plan.deliveries == 3


def test_a_post_deleted_before_fan_out_is_not_pushed():
    plan = plan_fanout([env(PostCreated(100, 1))], facts({author(1): [2]}, live=[]))
    assert list(plan.pushes) == []


def test_deletes_of_one_author_are_removed_from_author_and_followers_together():
    events = [env(PostDeleted(100, 1)), env(PostDeleted(101, 1)), env(PostDeleted(200, 5))]
    plan = plan_fanout(events, facts({author(1): [2, 3], author(5): []}))
    assert plan.removals == {(0, (1, 2, 3)): [100, 101], (0, (5,)): [200]}


def test_follow_backfills_only_if_the_edge_still_exists():
    events = [env(Followed(1, 2)), env(Followed(3, 4))]
    plan = plan_fanout(events, facts(following=[(1, 2)]))
    assert plan.backfills == [(1, 2, 0)]


def test_unfollow_unmerges_only_if_the_edge_is_still_gone():
    events = [env(Unfollowed(1, 2)), env(Unfollowed(3, 4))]
    plan = plan_fanout(events, facts(following=[(3, 4)]))
    assert plan.unmerges == [(1, 2, 0)]


def test_a_mixed_batch_plans_each_change_once():
    events = [env(PostCreated(100, 1)), env(PostDeleted(99, 1)), env(Followed(2, 1))]
    plan = plan_fanout(events, facts({author(1): [2]}, live=[100], following=[(2, 1)]))
    assert sorted(plan.pushes) == [(1, 100), (2, 100)]
    assert plan.removals == {(0, (1, 2)): [99]}
    assert plan.backfills == [(2, 1, 0)]


def test_posts_of_a_batch_are_planned_oldest_first_with_their_followers_shared_not_copied():
    followers = [2, 3]
    plan = plan_fanout(
        [env(PostCreated(300, 1)), env(PostCreated(100, 1))], facts({author(1): followers}, live=[100, 300])
    )
    assert [f.post_id for f in plan.fanouts] == [100, 300]
    assert all(f.followers is followers for f in plan.fanouts)
    assert len(plan.pushes) == 6


def test_a_post_already_in_its_authors_read_time_list_is_not_fanned_out_again():
    known = Facts(followers={author(1): [2, 3]}, live_posts={100, 101}, following=set(), read_time_posts={100})
    plan = plan_fanout([env(PostCreated(100, 1)), env(PostCreated(101, 1))], known)
    assert sorted(plan.pushes) == [(1, 100), (1, 101), (2, 101), (3, 101)]
    assert plan.read_time_pushes == [(author(1), 100, 0)]


def test_a_post_of_an_author_above_the_threshold_reaches_only_the_author_and_their_list():
    known = Facts(followers={}, live_posts={100}, following=set(), read_time={author(1): 50})
    plan = plan_fanout([env(PostCreated(100, 1))], known)
    assert list(plan.pushes) == [(1, 100)]
    assert plan.read_time_pushes == [(author(1), 100, 0)]
    assert plan.skipped_read_time == 50


def test_a_group_post_reaches_the_groups_members_not_the_authors_followers():
    known = Facts(followers={author(1): [7, 8], group(50): [1, 2, 3]}, live_posts={100}, following=set())
    plan = plan_fanout([env(PostCreated(100, 1, org_id=4, group_id=50))], known)
    assert sorted(plan.pushes) == [(1, 100), (2, 100), (3, 100)]
    assert plan.fanouts[0].org_id == 4


def test_a_post_to_a_large_group_goes_to_the_groups_list_and_the_author_only():
    known = Facts(followers={}, live_posts={100}, following=set(), read_time={group(50): 5000})
    plan = plan_fanout([env(PostCreated(100, 1, org_id=4, group_id=50))], known)
    assert list(plan.pushes) == [(1, 100)]
    assert plan.read_time_pushes == [(group(50), 100, 4)]
    assert plan.skipped_read_time == 5000


def test_deleting_a_group_post_removes_it_from_every_member():
    known = Facts(followers={group(50): [2, 3]}, live_posts=set(), following=set())
    plan = plan_fanout([env(PostDeleted(100, 1, org_id=4, group_id=50))], known)
    assert plan.removals == {(4, (1, 2, 3)): [100]}
    assert plan.read_time_removals == [(group(50), 100, 4)]


def test_joins_backfill_and_leaves_remove_only_while_the_membership_says_so():
    events = [
        env(GroupJoined(50, 2, 4)),
        env(GroupJoined(51, 2, 4)),
        env(GroupLeft(52, 3, 4)),
        env(GroupLeft(53, 3, 4)),
    ]
    known = Facts(followers={}, live_posts=set(), following=set(), memberships={(2, 50), (3, 53)})
    plan = plan_fanout(events, known)
    assert plan.joins == [(2, 50, 4)]
    assert plan.leaves == [(3, 52, 4)]
