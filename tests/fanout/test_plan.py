"""plan_fanout is pure: who receives what, decided from facts fetched beforehand."""

from __future__ import annotations

from feed.domain import Source
from feed.events import (
    Envelope,
    Followed,
    GroupJoined,
    GroupLeft,
    PostCreated,
    PostDeleted,
    Reposted,
    Unfollowed,
    Unreposted,
)
from feed.fanout.plan import Deletion, Merge, ReadTimePost, Removal, plan_fanout
from feed.fanout.resolve import Edge, Facts, Membership
from feed.store.reposts import Repost


def env(event) -> Envelope:
    return Envelope("e", 0, event)


def author(author_id: int) -> Source:
    return Source(author_id=author_id)


def group(group_id: int) -> Source:
    return Source(group_id=group_id)


def facts(followers=None, live=(), following=(), **more) -> Facts:
    return Facts(followers=followers or {}, live_posts=set(live), following=set(following), **more)


def test_a_post_reaches_the_author_and_every_follower():
    plan = plan_fanout([env(PostCreated(100, 1))], facts({author(1): [2, 3]}, live=[100]))
    assert sorted(plan.pushes) == [(1, 100), (2, 100), (3, 100)]
    assert plan.deliveries == 3


def test_a_post_deleted_before_fan_out_is_not_pushed():
    plan = plan_fanout([env(PostCreated(100, 1))], facts({author(1): [2]}, live=[]))
    assert list(plan.pushes) == []


def test_deletes_of_one_author_are_removed_from_author_and_followers_together():
    events = [env(PostDeleted(100, 1)), env(PostDeleted(101, 1)), env(PostDeleted(200, 5))]
    plan = plan_fanout(events, facts(delete_audiences={author(1): [[2, 3]]}))
    assert plan.deletions == [Deletion(0, 1, (100, 101), [[2, 3]]), Deletion(0, 5, (200,))]
    assert plan.removals == []
    assert plan.read_time_removals == [
        ReadTimePost(author(1), 100, 0),
        ReadTimePost(author(1), 101, 0),
        ReadTimePost(author(5), 200, 0),
    ]


def test_a_delete_reaches_the_followers_of_a_read_time_author_too():
    known = facts(read_time={author(1): 50}, delete_audiences={author(1): [[2, 3]]})
    plan = plan_fanout([env(PostDeleted(100, 1))], known)
    assert plan.deletions == [Deletion(0, 1, (100,), [[2, 3]])]


def test_follow_backfills_the_followees_newest_posts_only_if_the_edge_still_exists():
    events = [env(Followed(1, 2, 7)), env(Followed(3, 4, 7))]
    known = facts(following=[Edge(1, 2)], backfill_posts={author(2): [22, 21], author(4): [41]})
    plan = plan_fanout(events, known)
    assert plan.merges == [Merge(user_id=1, org_id=7, post_ids=(22, 21))]
    assert plan.removals == []


def test_unfollow_removes_the_followees_posts_only_if_the_edge_is_still_gone():
    events = [env(Unfollowed(1, 2, 7)), env(Unfollowed(3, 4, 7))]
    known = facts(following=[Edge(3, 4)], unmerge_posts={author(2): [22, 21], author(4): [41]})
    plan = plan_fanout(events, known)
    assert plan.removals == [Removal(org_id=7, users=(1,), post_ids=(22, 21))]
    assert plan.merges == []


def test_a_backfill_leaves_out_posts_merged_at_read_time():
    # 21 sits in the followee's read-time list already; 23 goes to it in this very batch.
    events = [env(Followed(1, 2)), env(PostCreated(23, 2))]
    known = facts(
        {author(2): []},
        live=[23],
        following=[Edge(1, 2)],
        read_time={author(2): 50},
        read_time_posts={21},
        backfill_posts={author(2): [23, 22, 21]},
    )
    plan = plan_fanout(events, known)
    assert plan.merges == [Merge(1, 0, (22,))]


def test_a_mixed_batch_plans_each_change_once():
    events = [env(PostCreated(100, 1)), env(PostDeleted(99, 1)), env(Followed(2, 1))]
    known = facts(
        {author(1): [2]},
        live=[100],
        following=[Edge(2, 1)],
        backfill_posts={author(1): [100, 98]},
        delete_audiences={author(1): [[2]]},
    )
    plan = plan_fanout(events, known)
    assert sorted(plan.pushes) == [(1, 100), (2, 100)]
    assert plan.deletions == [Deletion(0, 1, (99,), [[2]])]
    assert plan.merges == [Merge(2, 0, (100, 98))]


def test_posts_of_a_batch_are_planned_oldest_first_with_their_followers_shared_not_copied():
    followers = [2, 3]
    plan = plan_fanout(
        [env(PostCreated(300, 1)), env(PostCreated(100, 1))], facts({author(1): followers}, live=[100, 300])
    )
    assert [f.post_id for f in plan.fanouts] == [100, 300]
    assert all(f.followers is followers for f in plan.fanouts)
    assert len(plan.pushes) == 6


def test_a_post_already_in_its_authors_read_time_list_is_not_fanned_out_again():
    known = facts({author(1): [2, 3]}, live=[100, 101], read_time_posts={100})
    plan = plan_fanout([env(PostCreated(100, 1)), env(PostCreated(101, 1))], known)
    assert sorted(plan.pushes) == [(1, 100), (1, 101), (2, 101), (3, 101)]
    assert plan.read_time_pushes == [ReadTimePost(author(1), 100, 0)]


def test_a_post_of_an_author_above_the_threshold_reaches_only_the_author_and_their_list():
    known = facts(live=[100], read_time={author(1): 50})
    plan = plan_fanout([env(PostCreated(100, 1))], known)
    assert list(plan.pushes) == [(1, 100)]
    assert plan.read_time_pushes == [ReadTimePost(author(1), 100, 0)]
    assert plan.skipped_read_time == 50


def test_a_group_post_reaches_the_groups_members_not_the_authors_followers():
    known = facts({author(1): [7, 8], group(50): [1, 2, 3]}, live=[100])
    plan = plan_fanout([env(PostCreated(100, 1, org_id=4, group_id=50))], known)
    assert sorted(plan.pushes) == [(1, 100), (2, 100), (3, 100)]
    assert plan.fanouts[0].org_id == 4


def test_a_post_to_a_large_group_goes_to_the_groups_list_and_the_author_only():
    known = facts(live=[100], read_time={group(50): 5000})
    plan = plan_fanout([env(PostCreated(100, 1, org_id=4, group_id=50))], known)
    assert list(plan.pushes) == [(1, 100)]
    assert plan.read_time_pushes == [ReadTimePost(group(50), 100, 4)]
    assert plan.skipped_read_time == 5000


def test_deleting_a_group_post_removes_it_from_every_member():
    known = facts(delete_audiences={group(50): [[2, 3]]})
    plan = plan_fanout([env(PostDeleted(100, 1, org_id=4, group_id=50))], known)
    assert plan.deletions == [Deletion(4, 1, (100,), [[2, 3]])]
    assert plan.read_time_removals == [ReadTimePost(group(50), 100, 4)]


def test_joins_backfill_and_leaves_remove_only_while_the_membership_says_so():
    events = [
        env(GroupJoined(50, 2, 4)),
        env(GroupJoined(51, 2, 4)),
        env(GroupLeft(52, 3, 4)),
        env(GroupLeft(53, 3, 4)),
    ]
    known = facts(
        memberships={Membership(2, 50), Membership(3, 53)},
        backfill_posts={group(50): [501], group(51): [511]},
        unmerge_posts={group(52): [521], group(53): [531]},
    )
    plan = plan_fanout(events, known)
    assert plan.merges == [Merge(2, 4, (501,))]
    assert plan.removals == [Removal(4, (3,), (521,))]


def test_a_repost_goes_to_the_reposter_and_their_followers_carrying_its_original():
    plan = plan_fanout([env(Reposted(300, 7, 100))], facts({author(7): [8, 9]}, live=[300], originals={300: 100}))
    assert sorted(plan.pushes) == [(7, 300), (8, 300), (9, 300)]
    assert [f.original_id for f in plan.fanouts] == [100]


def test_an_undone_repost_or_one_of_a_deleted_post_is_pushed_nowhere():
    plan = plan_fanout([env(Reposted(300, 7, 100))], facts({author(7): [8]}, live=[], originals={}))
    assert list(plan.pushes) == []


def test_a_repost_of_a_read_time_reposter_goes_to_their_list():
    plan = plan_fanout([env(Reposted(300, 7, 100))], facts(live=[300], originals={300: 100}, read_time={author(7): 5}))
    assert plan.read_time_pushes == [ReadTimePost(author(7), 300, 0)]
    assert sorted(plan.pushes) == [(7, 300)]


def test_deleting_a_post_removes_its_reposts_from_their_reposters_audiences_and_lists():
    reposts = {100: [Repost(300, 7, 100), Repost(301, 8, 100)]}
    audiences = {author(1): [[2]], author(7): [[9]], author(8): [[10]]}
    plan = plan_fanout([env(PostDeleted(100, 1))], facts(delete_audiences=audiences, deleted_reposts=reposts))
    assert plan.deletions == [
        Deletion(0, 1, (100,), [[2]]),
        Deletion(0, 7, (300,), [[9]]),
        Deletion(0, 8, (301,), [[10]]),
    ]
    assert ReadTimePost(author(7), 300, 0) in plan.read_time_removals


def test_an_unrepost_removes_the_repost_entry_like_a_delete():
    plan = plan_fanout([env(Unreposted(300, 7, 100))], facts(delete_audiences={author(7): [[9]]}))
    assert plan.deletions == [Deletion(0, 7, (300,), [[9]])]
    assert plan.read_time_removals == [ReadTimePost(author(7), 300, 0)]
