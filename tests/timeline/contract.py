"""The one contract suite for the timeline store, run against every backend.

What the fan-out (feed/fanout/apply.py), the read path (feed/read/home.py) and the
rebuild (feed/timeline/rebuild.py) rely on, stated as what a reader of the
timeline sees. A backend's test module subclasses TimelineStoreContract and
implements make_store(); nothing else. Every test starts from an empty store.
"""

from __future__ import annotations

from feed.ids import IdGenerator
from feed.redis.keys import TIMELINE_SLACK
from feed.timeline.audience import Audience
from feed.timeline.page import TimelinePage
from feed.timeline.store import TimelineStore

_ids = IdGenerator(node=1)
# Neighbours that one float cannot tell apart (a double has 53 bits of mantissa): an id that went
# through a float (a sorted-set score, a Lua number) would come back as another one.
ABOVE_2_53 = [2**53 + 1, 2**53 + 2, 2**53 + 3, 2**63 - 2, 2**63 - 1]


def fresh(n: int) -> list[int]:
    """n new post ids, oldest first."""
    return [_ids.next_id() for _ in range(n)]


def newest_first(post_ids) -> list[int]:
    return sorted(post_ids, reverse=True)


def materialize(store: TimelineStore, user: int, post_ids=(), complete: bool = True, org_id: int = 0) -> None:
    """Give a user a timeline, as the first read does: claim it, then install the rebuilt ids."""
    assert store.begin_rebuild(user, org_id)
    store.finish_rebuild(user, newest_first(post_ids), complete, org_id)


def read_all(store: TimelineStore, user: int, page: int = 7, org_id: int = 0) -> list[int]:
    """Every id a reader sees, page by page, checking no page is larger than asked."""
    out: list[int] = []
    cursor = None
    for _ in range(1000):
        result = store.page(user, cursor, page, org_id)
        assert result.state == "ready" and len(result.ids) <= page
        out += result.ids
        if not result.more:
            return out
        cursor = result.ids[-1]
    raise AssertionError("paging did not end")


class TimelineStoreContract:
    """Behaviour every timeline store backend must show."""

    def make_store(self, max_entries: int) -> TimelineStore:
        raise NotImplementedError

    # missing timelines

    def test_a_missing_timeline_is_skipped_by_fan_out_and_reported_missing_by_page(self) -> None:
        store = self.make_store(10)
        assert store.fan_out([(_ids.next_id(), Audience([1]))]) == 0
        assert store.push([(1, _ids.next_id())]) == 0
        assert store.page(1, None, 10) == TimelinePage("missing", [], False)

    def test_a_fan_out_delivers_one_post_to_many_timelines_and_skips_missing_ones(self) -> None:
        store = self.make_store(10)
        users = [1, 2, 1025, 2049]  # 1, 1025 and 2049 share a shard
        for user in users[:3]:
            materialize(store, user)
        posts = fresh(2)
        assert store.fan_out([(p, Audience(users)) for p in reversed(posts)]) == 6
        for user in users[:3]:
            assert read_all(store, user) == newest_first(posts)
        assert store.page(2049, None, 5).state == "missing"

    def test_a_dropped_timeline_is_missing_until_rebuilt(self) -> None:
        store = self.make_store(10)
        materialize(store, 1, fresh(2))
        store.drop(1)
        assert store.page(1, None, 5).state == "missing"
        materialize(store, 1, [])  # claimable again
        assert read_all(store, 1) == []

    # order and bounds

    def test_pushed_posts_read_back_newest_first(self) -> None:
        store = self.make_store(10)
        materialize(store, 1)
        posts = fresh(5)
        assert store.push([(1, p) for p in posts]) == 5
        assert read_all(store, 1) == newest_first(posts)

    def test_late_and_repeated_deliveries_read_back_in_order_and_once(self) -> None:
        store = self.make_store(50)
        materialize(store, 1)
        posts = fresh(20)
        assert store.push([(1, p) for p in posts[10:] + posts[:10] + posts[5:15]]) == 20
        assert read_all(store, 1) == newest_first(posts)

    def test_a_late_post_lands_in_its_place_and_a_replayed_one_changes_nothing(self) -> None:
        store = self.make_store(50)
        posts = fresh(40)
        materialize(store, 1, posts[::2], complete=True)
        late = posts[1::2]
        assert store.fan_out([(p, Audience([1])) for p in late]) == len(late)
        assert read_all(store, 1) == newest_first(posts)
        assert store.fan_out([(p, Audience([1])) for p in posts]) == 0  # every one already there, at any depth
        assert read_all(store, 1) == newest_first(posts)

    def test_a_reader_sees_at_most_max_entries_and_they_are_the_newest(self) -> None:
        store = self.make_store(10)
        materialize(store, 1)
        posts = fresh(10 + TIMELINE_SLACK + 5)
        for post in posts:
            store.push([(1, post)])
        assert read_all(store, 1, page=3) == newest_first(posts)[:10]

    def test_a_timeline_trimmed_past_its_bound_no_longer_takes_older_posts(self) -> None:
        store = self.make_store(10)
        old = _ids.next_id()
        materialize(store, 1, [], complete=True)
        store.fan_out([(p, Audience([1])) for p in fresh(10 + TIMELINE_SLACK + 1)])  # one past the slack: trimmed
        shown = read_all(store, 1)
        assert store.push([(1, old)]) == 0
        assert read_all(store, 1) == shown

    def test_an_old_post_is_not_added_below_a_truncated_tail(self) -> None:
        store = self.make_store(3)
        old = _ids.next_id()
        newer = fresh(3)
        materialize(store, 1, newer, complete=False)
        assert store.push([(1, old)]) == 0
        assert read_all(store, 1) == newest_first(newer)

    def test_an_old_post_is_added_to_a_complete_timeline(self) -> None:
        store = self.make_store(10)
        old = _ids.next_id()
        newer = fresh(2)
        materialize(store, 1, newer, complete=True)
        assert store.push([(1, old)]) == 1
        assert read_all(store, 1) == [*newest_first(newer), old]

    def test_an_empty_complete_timeline_is_ready_and_empty(self) -> None:
        store = self.make_store(10)
        materialize(store, 1, [])
        assert store.page(1, None, 5) == TimelinePage("ready", [], False)

    def test_pages_are_stable_while_new_posts_arrive(self) -> None:
        store = self.make_store(100)
        posts = fresh(10)
        materialize(store, 1, posts)
        first = store.page(1, None, 4)
        store.push([(1, p) for p in fresh(3)])  # newer posts land on top meanwhile
        second = store.page(1, first.ids[-1], 4)
        third = store.page(1, second.ids[-1], 4)
        assert first.more and second.more and not third.more
        assert first.ids + second.ids + third.ids == newest_first(posts)

    def test_ids_above_2_to_the_53_survive_exactly_through_every_verb(self) -> None:
        store = self.make_store(10)
        *older, newest = ABOVE_2_53
        materialize(store, 1, [newest])
        assert store.push([(1, p) for p in older]) == len(older)  # each older than the head: placed by comparison
        assert read_all(store, 1, page=2) == newest_first(ABOVE_2_53)
        assert store.remove([1], [2**63 - 2, 2**53 + 2]) == 2
        assert read_all(store, 1) == [2**63 - 1, 2**53 + 3, 2**53 + 1]
        assert store.page(1, 2**53 + 3, 5).ids == [2**53 + 1]  # the cursor too is exact
        assert store.merge(1, [2**63 - 2, 2**53 + 2])
        materialize(store, 2, ABOVE_2_53)
        assert read_all(store, 1) == read_all(store, 2) == newest_first(ABOVE_2_53)

    # remove

    def test_remove_takes_posts_out_of_every_listed_timeline(self) -> None:
        store = self.make_store(10)
        posts = fresh(3)
        for user in (1, 2, 1025):  # 1 and 1025 share a shard
            materialize(store, user, posts)
        assert store.remove([1, 2, 1025, 3], [posts[1]]) == 3
        for user in (1, 2, 1025):
            assert read_all(store, user) == [posts[2], posts[0]]
        assert store.remove([1], [posts[1]]) == 0  # already gone

    def test_removing_nothing_changes_nothing(self) -> None:
        store = self.make_store(10)
        posts = fresh(2)
        materialize(store, 1, posts)
        assert store.remove([1], []) == 0
        assert read_all(store, 1) == newest_first(posts)

    # merge (a follow's or a join's backfill)

    def test_merge_keeps_order_without_duplicates(self) -> None:
        store = self.make_store(10)
        posts = fresh(7)
        mine, theirs = posts[::2], posts[1::2] + posts[:1]  # theirs overlaps mine
        materialize(store, 1, mine)
        assert store.merge(1, newest_first(theirs))
        assert read_all(store, 1) == newest_first(posts)

    def test_merge_keeps_the_newest_max_entries(self) -> None:
        store = self.make_store(5)
        posts = fresh(8)
        materialize(store, 1, posts[::2])
        assert store.merge(1, newest_first(posts[1::2]))
        assert read_all(store, 1) == newest_first(posts)[:5]

    def test_merge_into_a_truncated_timeline_adds_nothing_older_than_its_tail(self) -> None:
        store = self.make_store(10)
        older, mine, newer = fresh(1), fresh(3), fresh(1)
        materialize(store, 1, mine, complete=False)
        assert store.merge(1, newer + older)
        assert read_all(store, 1) == newest_first(newer + mine)

    def test_merge_leaves_missing_and_building_timelines_to_their_rebuild(self) -> None:
        store = self.make_store(10)
        posts = fresh(2)
        assert not store.merge(1, posts)
        assert store.page(1, None, 5).state == "missing"
        assert store.begin_rebuild(2)
        assert not store.merge(2, posts)
        assert store.page(2, None, 5).state == "building"
        assert not store.merge(3, [])

    # rebuild marks

    def test_a_rebuild_is_claimed_once_and_readers_see_building(self) -> None:
        store = self.make_store(10)
        assert store.begin_rebuild(7)
        assert not store.begin_rebuild(7)
        assert store.page(7, None, 5) == TimelinePage("building", [], False)
        store.finish_rebuild(7, [], complete=True)
        assert store.page(7, None, 5) == TimelinePage("ready", [], False)
        assert not store.begin_rebuild(7)  # it exists now

    def test_posts_pushed_during_a_rebuild_survive_it(self) -> None:
        store = self.make_store(10)
        snapshot = fresh(3)
        assert store.begin_rebuild(1)
        late = _ids.next_id()
        assert store.push([(1, late)]) == 1  # fan-out lands while the snapshot is read
        assert store.page(1, None, 5).state == "building"  # readers still wait
        assert store.finish_rebuild(1, newest_first(snapshot), complete=True) == 4
        assert read_all(store, 1) == [late, *newest_first(snapshot)]

    def test_a_rebuild_whose_mark_expired_writes_nothing_so_the_next_read_rebuilds(self) -> None:
        store = self.make_store(10)
        snapshot = fresh(2)
        token = store.begin_rebuild(1)
        assert token
        store.drop(1)  # the building mark expired while the store was read
        assert store.push([(1, _ids.next_id())]) == 0  # fan-out skips the missing list: only a rebuild has it
        assert store.finish_rebuild(1, newest_first(snapshot), complete=True, token=token) is None
        assert store.page(1, None, 5).state == "missing"
        assert store.finish_rebuild(1, newest_first(snapshot), complete=True) is None  # nor without a token

    def test_a_stale_claim_cannot_finish_or_abandon_a_newer_claim(self) -> None:
        store = self.make_store(10)
        stale = store.begin_rebuild(1)
        store.drop(1)
        current = store.begin_rebuild(1)
        assert stale and current and stale != current
        assert store.finish_rebuild(1, fresh(1), complete=True, token=stale) is None
        assert not store.abandon_rebuild(1, stale)
        assert store.page(1, None, 5).state == "building"
        post = fresh(1)
        assert store.finish_rebuild(1, post, complete=True, token=current) == 1
        assert read_all(store, 1) == post
        assert not store.abandon_rebuild(1, current)  # finished: nothing to give up

    def test_an_abandoned_rebuild_frees_the_timeline_for_the_next_claim(self) -> None:
        store = self.make_store(10)
        token = store.begin_rebuild(1)
        assert token and store.abandon_rebuild(1, token)
        assert store.page(1, None, 5).state == "missing"
        assert store.begin_rebuild(1)

    def test_a_rebuilt_timeline_keeps_the_newest_max_entries_and_then_refuses_older_posts(self) -> None:
        store = self.make_store(3)
        old, *snapshot = fresh(6)
        assert store.begin_rebuild(1)
        assert store.finish_rebuild(1, newest_first(snapshot), complete=True) == 3  # cut: no longer complete
        assert read_all(store, 1) == newest_first(snapshot)[:3]
        assert store.push([(1, old)]) == 0

    def test_an_incomplete_rebuild_refuses_posts_older_than_its_tail(self) -> None:
        store = self.make_store(10)
        old, *snapshot = fresh(3)
        materialize(store, 1, snapshot, complete=False)
        assert store.push([(1, old)]) == 0
        assert read_all(store, 1) == newest_first(snapshot)

    # organizations

    def test_timelines_of_one_user_in_two_organizations_are_separate(self) -> None:
        store = self.make_store(10)
        materialize(store, 1)
        materialize(store, 1, org_id=5)
        post, other = fresh(2)
        assert store.push([(1, post)], org_id=5) == 1
        assert store.fan_out([(other, Audience([1], org_id=0))]) == 1
        assert read_all(store, 1, org_id=5) == [post]
        assert read_all(store, 1) == [other]
        assert store.remove([1], [post, other], org_id=5) == 1
        store.drop(1, org_id=5)
        assert store.page(1, None, 5, org_id=5).state == "missing"
        assert read_all(store, 1) == [other]

    # reposts (feed.lua tl_repost, docs/reposts.md)

    def test_a_repost_lands_only_where_its_post_is_not_among_the_newest_40_entries(self) -> None:
        store = self.make_store(800)
        near, far, fresh_user, missing = 101, 102, 103, 104
        original, *fillers = fresh(46)
        materialize(store, near, [original, *fillers[:39]])  # the original is the 40th newest
        materialize(store, far, [original, *fillers[:40]])  # the 41st: out of the window
        materialize(store, fresh_user)
        repost_id, again = fresh(2)
        audience = Audience([near, far, fresh_user, missing])
        assert store.fan_out_reposts([(repost_id, original, audience)]) == 2
        assert repost_id not in read_all(store, near)
        assert read_all(store, far)[0] == repost_id
        assert read_all(store, fresh_user) == [repost_id]
        # A second repost of the same post: the first repost stands for it among the newest entries.
        assert store.fan_out_reposts([(again, original, audience)]) == 0
        assert store.page(missing, None, 10).state == "missing"

    def test_replaying_a_repost_adds_nothing(self) -> None:
        store = self.make_store(800)
        materialize(store, 105)
        original, repost_id = fresh(2)
        audience = Audience([105])
        assert store.fan_out_reposts([(repost_id, original, audience)]) == 1
        assert store.fan_out_reposts([(repost_id, original, audience)]) == 0
        assert read_all(store, 105) == [repost_id]
