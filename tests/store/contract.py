"""The one contract suite for the store interfaces, run against every backend.

A backend's test module subclasses StoreContract and implements make_store();
nothing else. Tests use fresh random ids so they also pass against a shared,
long-lived database such as a real Cassandra keyspace.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from feed.domain import ANNOUNCEMENTS, PRIVATE, Page
from feed.errors import InvalidArgument
from feed.ids import IdGenerator
from feed.store.base import Store, walk_pages
from tests.store.contract_data import _ids, _race, new_group, new_post, new_user
from tests.store.invitation_contract import InvitationContract
from tests.store.markers_contract import MarkerContract, MarkerRaceContract
from tests.store.outbox_contract import OutboxContract
from tests.store.quiet_contract import QuietContract
from tests.store.reposts_contract import RepostContract


def walk(fetch, page_size: int) -> list[int]:
    """Every id of a paged listing, checking that no page is larger than asked; fetch(page_size, token)."""
    seen: list[int] = []
    token = None
    for _ in range(1000):
        page: Page = fetch(page_size, token)
        assert len(page.ids) <= page_size
        seen.extend(page.ids)
        token = page.next_token
        if token is None:
            return seen
    raise AssertionError("paging did not end")


def followers_of(store: Store, user_id: int) -> list[int]:
    """Every follower of user_id, walked through list_followers' pages as a caller of the store would."""
    return list(walk_pages(lambda token: store.graph.list_followers(user_id, 2, token)))


class OnABackend:
    """A fresh store of the subclass's backend for each test, closed after it."""

    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self):
        store = self.make_store()
        yield store
        store.close()


class StoreContract(OutboxContract, MarkerContract, InvitationContract, QuietContract, RepostContract, OnABackend):
    """Behaviour every Store backend must show."""

    # posts

    def test_created_post_is_found_by_id(self, store: Store) -> None:
        post = new_post(new_user(), "first words")
        stored, created = store.posts.create_post(post)
        assert created and stored == post
        assert store.posts.get_post(post.post_id) == post

    def test_unknown_post_is_not_found(self, store: Store) -> None:
        assert store.posts.get_post(_ids.next_id()) is None
        assert store.posts.get_posts([_ids.next_id(), _ids.next_id()]) == {}

    def test_get_posts_returns_only_the_ids_that_exist(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(3)]
        for post in posts:
            store.posts.create_post(post)
        missing = _ids.next_id()
        found = store.posts.get_posts([p.post_id for p in posts] + [missing])
        assert found == {p.post_id: p for p in posts}

    def test_same_idempotency_key_returns_the_first_post_and_stores_nothing_new(self, store: Store) -> None:
        author = new_user()
        first, created = store.posts.create_post(new_post(author, "once"), "key-1")
        again, created_again = store.posts.create_post(new_post(author, "once"), "key-1")
        assert created and not created_again
        assert again == first
        assert [p.post_id for p in store.posts.list_author_posts(author, None, 10)] == [first.post_id]

    def test_idempotency_keys_are_scoped_to_the_author(self, store: Store) -> None:
        a, b = new_user(), new_user()
        pa, _ = store.posts.create_post(new_post(a), "shared-key")
        pb, created = store.posts.create_post(new_post(b), "shared-key")
        assert created and pa.post_id != pb.post_id

    def test_empty_idempotency_key_always_creates(self, store: Store) -> None:
        author = new_user()
        store.posts.create_post(new_post(author), "")
        store.posts.create_post(new_post(author), "")
        assert len(store.posts.list_author_posts(author, None, 10)) == 2

    def test_deleted_post_is_not_found(self, store: Store) -> None:
        post = new_post(new_user())
        store.posts.create_post(post)
        assert store.posts.delete_post(post.post_id) is True
        assert store.posts.get_post(post.post_id) is None
        assert store.posts.list_author_posts(post.author_id, None, 10) == []

    def test_deleting_twice_or_unknown_reports_false(self, store: Store) -> None:
        post = new_post(new_user())
        store.posts.create_post(post)
        store.posts.delete_post(post.post_id)
        assert store.posts.delete_post(post.post_id) is False
        assert store.posts.delete_post(_ids.next_id()) is False

    def test_retry_after_delete_does_not_revive_the_post(self, store: Store) -> None:
        author = new_user()
        post, _ = store.posts.create_post(new_post(author), "k")
        store.posts.delete_post(post.post_id)
        again, created = store.posts.create_post(new_post(author), "k")
        assert not created and again.post_id == post.post_id
        assert store.posts.get_post(post.post_id) is None

    def test_author_posts_are_newest_first_and_page_by_id(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(7)]
        for post in posts:
            store.posts.create_post(post)
        newest_first = [p.post_id for p in reversed(posts)]
        assert [p.post_id for p in store.posts.list_author_posts(author, None, 3)] == newest_first[:3]
        page2 = store.posts.list_author_posts(author, newest_first[2], 3)
        assert [p.post_id for p in page2] == newest_first[3:6]
        assert [p.post_id for p in store.posts.list_author_posts(author, newest_first[5], 3)] == newest_first[6:]

    def test_author_posts_after_an_id_are_the_oldest_above_it_newest_first(self, store: Store) -> None:
        author = new_user()
        day_ms = 24 * 3600 * 1000
        clock = iter(time.time() - d * day_ms / 1000 for d in (100, 70, 40, 10, 9, 2, 1))  # 30-day buckets apart
        ids = IdGenerator(node=3, clock=lambda: next(clock))
        posts = [dataclasses.replace(new_post(author, f"p{i}"), post_id=ids.next_id()) for i in range(7)]
        for post in posts:
            store.posts.create_post(post)
        oldest_first = [p.post_id for p in posts]
        above = store.posts.list_author_posts(author, None, 3, after_id=oldest_first[0])
        assert [p.post_id for p in above] == oldest_first[1:4][::-1]
        between = store.posts.list_author_posts(author, oldest_first[6], 10, after_id=oldest_first[2])
        assert [p.post_id for p in between] == oldest_first[3:6][::-1]
        assert store.posts.list_author_posts(author, None, 3, after_id=oldest_first[6]) == []

    def test_group_posts_after_an_id_are_the_oldest_above_it_newest_first(self, store: Store) -> None:
        group_id, org = _ids.next_id(), new_user()
        posts = [new_post(new_user(), f"g{i}", group_id=group_id, org_id=org) for i in range(5)]
        for post in posts:
            store.posts.create_post(post)
        assert store.posts.list_group_posts(group_id, None, 2, after_id=posts[1].post_id) == posts[2:4][::-1]
        assert (
            store.posts.list_group_posts(group_id, posts[4].post_id, 5, after_id=posts[0].post_id) == posts[1:4][::-1]
        )

    def test_author_posts_keep_text_and_time(self, store: Store) -> None:
        post = new_post(new_user(), "ünïcode ✓ text")
        store.posts.create_post(post)
        assert store.posts.list_author_posts(post.author_id, None, 1) == [post]

    # graph

    def test_follow_is_visible_both_ways(self, store: Store) -> None:
        a, b = new_user(), new_user()
        assert store.graph.follow(a, b) is True
        assert store.graph.is_following(a, b)
        assert not store.graph.is_following(b, a)
        assert list(followers_of(store, b)) == [a]
        assert list(store.graph.iter_following(a)) == [b]
        assert store.graph.follower_count(b) == 1

    def test_follow_twice_is_one_edge(self, store: Store) -> None:
        a, b = new_user(), new_user()
        store.graph.follow(a, b)
        assert store.graph.follow(a, b) is False
        assert store.graph.follower_count(b) == 1

    def test_unfollow_removes_the_edge_both_ways(self, store: Store) -> None:
        a, b = new_user(), new_user()
        store.graph.follow(a, b)
        assert store.graph.unfollow(a, b) is True
        assert store.graph.unfollow(a, b) is False
        assert not store.graph.is_following(a, b)
        assert list(followers_of(store, b)) == []
        assert list(store.graph.iter_following(a)) == []
        assert store.graph.follower_count(b) == 0

    def test_followers_page_through_every_follower_exactly_once(self, store: Store) -> None:
        star = new_user()
        fans = {new_user() for _ in range(23)}
        for fan in fans:
            store.graph.follow(fan, star)
        seen: list[int] = []
        token = None
        for _ in range(100):
            page = store.graph.list_followers(star, 5, token)
            assert len(page.ids) <= 5
            seen.extend(page.ids)
            token = page.next_token
            if token is None:
                break
        assert sorted(seen) == sorted(fans)
        assert store.graph.follower_count(star) == 23

    def test_following_page_through_every_followee_exactly_once(self, store: Store) -> None:
        fan = new_user()
        stars = {new_user() for _ in range(11)}
        for star in stars:
            store.graph.follow(fan, star)
        pages = []
        token = None
        for _ in range(100):
            page = store.graph.list_following(fan, 4, token)
            pages.append(page.ids)
            token = page.next_token
            if token is None:
                break
        assert sorted(i for ids in pages for i in ids) == sorted(stars)
        assert all(len(ids) <= 4 for ids in pages)

    def test_following_among_answers_which_candidates_are_followed(self, store: Store) -> None:
        fan = new_user()
        followed = [new_user() for _ in range(3)]
        others = [new_user() for _ in range(3)]
        for star in followed:
            store.graph.follow(fan, star)
        store.graph.follow(others[0], fan)  # the reverse edge does not count
        assert store.graph.following_among(fan, followed + others) == set(followed)
        assert store.graph.following_among(fan, []) == set()

    def test_block_is_recorded_one_way_and_can_be_lifted(self, store: Store) -> None:
        a, b = new_user(), new_user()
        assert store.graph.block(a, b) is True
        assert store.graph.block(a, b) is False
        assert store.graph.is_blocked(a, b)
        assert not store.graph.is_blocked(b, a)
        assert store.graph.unblock(a, b) is True
        assert store.graph.unblock(a, b) is False
        assert not store.graph.is_blocked(a, b)

    def test_user_without_edges_has_empty_pages(self, store: Store) -> None:
        user = new_user()
        page = store.graph.list_followers(user, 10)
        assert page.ids == [] and page.next_token is None
        assert store.graph.follower_count(user) == 0

    @pytest.mark.parametrize("token", ["abc", "9" * 400, "-5", " 12", "1_000", "١٢", "12.5", "\x00"])
    def test_a_page_token_the_store_did_not_issue_is_an_invalid_argument(self, store: Store, token: str) -> None:
        user = new_user()
        for listing in (store.graph.list_followers, store.graph.list_following, store.orgs.list_members):
            with pytest.raises(InvalidArgument, match="page_token"):
                listing(user, 10, token)

    def test_iter_user_ids_names_every_user_with_an_edge_or_a_post(self, store: Store) -> None:
        a, b, c = new_user(), new_user(), new_user()
        store.graph.follow(a, b)
        store.posts.create_post(new_post(c))
        users = set(store.graph.iter_user_ids())
        assert {a, b, c} <= users

    def test_blocked_among_answers_which_candidates_are_blocked(self, store: Store) -> None:
        user = new_user()
        blocked = [new_user() for _ in range(3)]
        others = [new_user() for _ in range(3)]
        for other in blocked:
            store.graph.block(user, other)
        store.graph.block(others[0], user)  # the reverse block does not count
        assert store.graph.blocked_among(user, blocked + others) == set(blocked)
        assert store.graph.blocked_among(user, []) == set()

    def test_blocked_either_way_among_answers_the_candidates_a_block_stands_between(self, store: Store) -> None:
        user = new_user()
        blocked, blockers, others = ([new_user() for _ in range(3)] for _ in range(3))
        for other in blocked:
            store.graph.block(user, other)
        for other in blockers:
            store.graph.block(other, user)
        store.graph.block(others[0], others[1])  # a block between others does not count
        store.graph.block(others[2], user)
        store.graph.unblock(others[2], user)  # nor a lifted one
        candidates = [*blocked, *blockers, *others, blockers[0]]
        assert store.graph.blocked_either_way_among(user, candidates) == {*blocked, *blockers}
        assert store.graph.blocked_either_way_among(user, []) == set()

    def test_blocked_accounts_page_through_every_one_exactly_once(self, store: Store) -> None:
        user = new_user()
        blocked = {new_user() for _ in range(13)}
        for other in blocked:
            store.graph.block(user, other)
        store.graph.unblock(user, next(iter(blocked)))
        listed = walk(lambda size, token: store.graph.list_blocked(user, size, token), 4)
        assert sorted(listed) == sorted(blocked - {next(iter(blocked))})

    def test_purging_a_user_from_the_graph_erases_their_edges_and_blocks_both_ways(self, store: Store) -> None:
        user, fan, star, blocked, blocker = (new_user() for _ in range(5))
        store.graph.follow(fan, user)
        store.graph.follow(user, star)
        store.graph.follow(fan, star)  # not the user's: stays
        store.graph.block(user, blocked)
        store.graph.block(blocker, user)
        store.graph.block(blocker, fan)  # not the user's: stays
        store.graph.purge_user(user)
        assert not store.graph.is_following(fan, user) and not store.graph.is_following(user, star)
        assert list(followers_of(store, user)) == [] and list(store.graph.iter_following(user)) == []
        assert list(store.graph.iter_following(fan)) == [star]
        assert list(followers_of(store, star)) == [fan]
        assert store.graph.follower_count(user) == 0 and store.graph.follower_count(star) == 1
        assert not store.graph.is_blocked(user, blocked) and not store.graph.is_blocked(blocker, user)
        assert store.graph.list_blocked(user, 10).ids == []
        assert store.graph.list_blocked(blocker, 10).ids == [fan]

    # group posts

    def test_author_posts_leave_out_group_posts_which_their_group_lists(self, store: Store) -> None:
        author, org, group_id = new_user(), new_user(), _ids.next_id()
        public = new_post(author, "to followers", org_id=org)
        in_group = new_post(author, "to the group", group_id=group_id, org_id=org)
        store.posts.create_post(public)
        store.posts.create_post(in_group)
        assert store.posts.list_author_posts(author, None, 10) == [public]
        assert store.posts.list_group_posts(group_id, None, 10) == [in_group]
        assert store.posts.list_group_posts(_ids.next_id(), None, 10) == []

    def test_get_posts_returns_where_each_post_was_made(self, store: Store) -> None:
        author, org, group_id = new_user(), new_user(), _ids.next_id()
        public = new_post(author, org_id=org)
        in_group = new_post(author, group_id=group_id, org_id=org)
        store.posts.create_post(public)
        store.posts.create_post(in_group)
        found = store.posts.get_posts([public.post_id, in_group.post_id])
        assert (found[public.post_id].group_id, found[public.post_id].org_id) == (0, org)
        assert (found[in_group.post_id].group_id, found[in_group.post_id].org_id) == (group_id, org)

    def test_group_posts_from_every_author_are_newest_first_and_page_by_id(self, store: Store) -> None:
        group_id, org = _ids.next_id(), new_user()
        authors = [new_user(), new_user()]
        posts = [new_post(authors[i % 2], f"g{i}", group_id=group_id, org_id=org) for i in range(7)]
        for post in posts:
            store.posts.create_post(post)
        newest_first = list(reversed(posts))
        assert store.posts.list_group_posts(group_id, None, 3) == newest_first[:3]
        assert store.posts.list_group_posts(group_id, newest_first[2].post_id, 3) == newest_first[3:6]
        assert store.posts.list_group_posts(group_id, newest_first[5].post_id, 3) == newest_first[6:]

    def test_deleted_group_post_leaves_its_group(self, store: Store) -> None:
        post = new_post(new_user(), group_id=_ids.next_id(), org_id=new_user())
        store.posts.create_post(post)
        assert store.posts.delete_post(post.post_id) is True
        assert store.posts.list_group_posts(post.group_id, None, 10) == []
        assert store.posts.get_post(post.post_id) is None

    def test_purged_post_is_gone_from_lookups_and_listings(self, store: Store) -> None:
        author, group_id = new_user(), _ids.next_id()
        public, _ = store.posts.create_post(new_post(author), "key-p")
        in_group, _ = store.posts.create_post(new_post(author, group_id=group_id), "key-g")
        kept, _ = store.posts.create_post(new_post(author))
        store.posts.purge_post(public.post_id)
        store.posts.purge_post(in_group.post_id)
        store.posts.purge_post(in_group.post_id)  # again: no error
        assert store.posts.get_posts([public.post_id, in_group.post_id, kept.post_id]) == {kept.post_id: kept}
        assert store.posts.list_author_posts(author, None, 10) == [kept]
        assert store.posts.list_group_posts(group_id, None, 10) == []
        # the idempotency key no longer leads back to the purged post
        again, _ = store.posts.create_post(new_post(author), "key-p")
        assert again.post_id != public.post_id and store.posts.get_post(public.post_id) is None

    def test_purging_an_author_erases_every_post_deleted_and_group_ones_included(self, store: Store) -> None:
        author, other, group_id = new_user(), new_user(), _ids.next_id()
        public, _ = store.posts.create_post(new_post(author), "key-public")
        deleted, _ = store.posts.create_post(new_post(author), "key-deleted")
        in_group, _ = store.posts.create_post(new_post(author, group_id=group_id))
        kept, _ = store.posts.create_post(new_post(other, group_id=group_id))
        store.posts.delete_post(deleted.post_id)
        store.posts.purge_author(author)
        store.posts.purge_author(author)  # again: no error
        assert store.posts.get_posts([public.post_id, deleted.post_id, in_group.post_id]) == {}
        assert store.posts.list_author_posts(author, None, 10) == []
        assert store.posts.list_group_posts(group_id, None, 10) == [kept]
        # neither key leads back to its erased post any more, deleted or not
        for key, erased in (("key-public", public), ("key-deleted", deleted)):
            again, created = store.posts.create_post(new_post(author), key)
            assert created and again.post_id != erased.post_id

    def test_purging_a_deleted_or_unknown_post_is_quiet(self, store: Store) -> None:
        post = new_post(new_user())
        store.posts.create_post(post)
        store.posts.delete_post(post.post_id)
        store.posts.purge_post(post.post_id)
        store.posts.purge_post(_ids.next_id())
        assert store.posts.get_post(post.post_id) is None

    # organizations

    def test_binding_a_user_is_first_wins(self, store: Store) -> None:
        user, first, second = new_user(), new_user(), new_user()
        assert store.orgs.bind_user(user, first) == first
        assert store.orgs.bind_user(user, second) == first
        assert store.orgs.bind_user(user, first) == first
        assert store.orgs.org_of(user) == first

    def test_orgs_of_names_only_bound_users(self, store: Store) -> None:
        a, b, unbound = new_user(), new_user(), new_user()
        org_a, org_b = new_user(), new_user()
        store.orgs.bind_user(a, org_a)
        store.orgs.bind_user(b, org_b)
        assert store.orgs.orgs_of([a, b, unbound, a]) == {a: org_a, b: org_b}
        assert store.orgs.org_of(unbound) is None
        assert store.orgs.orgs_of([]) == {}

    def test_org_users_page_through_every_user_exactly_once(self, store: Store) -> None:
        org, elsewhere = new_user(), new_user()
        users = {new_user() for _ in range(23)}
        for user in users:
            store.orgs.bind_user(user, org)
        store.orgs.bind_user(new_user(), elsewhere)
        listed = walk(lambda size, token: store.orgs.list_org_users(org, size, token), 5)
        assert sorted(listed) == sorted(users)
        assert store.orgs.list_org_users(new_user(), 5) == Page([], None)

    def test_created_group_is_found_and_creating_it_again_changes_nothing(self, store: Store) -> None:
        group = new_group(new_user(), "ünïcode team", visibility=PRIVATE)
        store.orgs.create_group(group)
        store.orgs.create_group(group)
        assert store.orgs.get_group(group.group_id) == group
        assert store.orgs.get_groups([group.group_id, _ids.next_id()]) == {group.group_id: group}
        assert walk(lambda size, token: store.orgs.list_org_groups(group.org_id, size, token), 10) == [group.group_id]

    def test_unknown_group_is_not_found(self, store: Store) -> None:
        assert store.orgs.get_group(_ids.next_id()) is None
        assert store.orgs.get_groups([]) == {}

    def test_claiming_the_announcements_group_is_first_wins(self, store: Store) -> None:
        org = new_user()
        first, second = new_group(org, kind=ANNOUNCEMENTS), new_group(org, kind=ANNOUNCEMENTS)
        assert store.orgs.announcements_of(org) is None
        assert store.orgs.claim_announcements(org, first.group_id) == first.group_id
        assert store.orgs.claim_announcements(org, second.group_id) == first.group_id
        assert store.orgs.announcements_of(org) == first.group_id

    def test_adding_and_removing_a_member_report_whether_anything_changed(self, store: Store) -> None:
        group_id, user = _ids.next_id(), new_user()
        assert store.orgs.add_member(group_id, user) is True
        assert store.orgs.add_member(group_id, user) is False
        assert store.orgs.is_member(group_id, user)
        assert store.orgs.remove_member(group_id, user) is True
        assert store.orgs.remove_member(group_id, user) is False
        assert not store.orgs.is_member(group_id, user)

    def test_groups_among_answers_which_groups_the_user_is_in(self, store: Store) -> None:
        user, other = new_user(), new_user()
        joined = [_ids.next_id() for _ in range(3)]
        not_joined = [_ids.next_id() for _ in range(3)]
        for group_id in joined:
            store.orgs.add_member(group_id, user)
        store.orgs.add_member(not_joined[0], other)
        assert store.orgs.groups_among(user, joined + not_joined) == set(joined)
        assert store.orgs.groups_among(user, []) == set()

    def test_member_count_follows_adds_and_removes(self, store: Store) -> None:
        group_id = _ids.next_id()
        members = [new_user() for _ in range(4)]
        assert store.orgs.member_count(group_id) == 0
        for member in members:
            store.orgs.add_member(group_id, member)
        store.orgs.add_member(group_id, members[0])  # again: not counted twice
        store.orgs.remove_member(group_id, members[1])
        store.orgs.remove_member(group_id, members[1])
        assert store.orgs.member_count(group_id) == 3

    def test_members_and_their_groups_page_through_every_one_exactly_once(self, store: Store) -> None:
        group_id, user = _ids.next_id(), new_user()
        members = {new_user() for _ in range(17)} | {user}
        groups = {_ids.next_id() for _ in range(9)} | {group_id}
        for member in members:
            store.orgs.add_member(group_id, member)
        for other_group in groups - {group_id}:
            store.orgs.add_member(other_group, user)
        listed = walk(lambda size, token: store.orgs.list_members(group_id, size, token), 4)
        assert sorted(listed) == sorted(members)
        user_groups = walk(lambda size, token: store.orgs.list_user_groups(user, size, token), 3)
        assert sorted(user_groups) == sorted(groups)

    def test_org_groups_page_through_every_group_exactly_once(self, store: Store) -> None:
        org = new_user()
        groups = [new_group(org, f"g{i}") for i in range(11)]
        for group in groups:
            store.orgs.create_group(group)
        store.orgs.create_group(new_group(new_user()))  # another organization's
        listed = walk(lambda size, token: store.orgs.list_org_groups(org, size, token), 4)
        assert sorted(listed) == sorted(g.group_id for g in groups)

    def test_purging_a_user_from_the_orgs_erases_binding_and_memberships(self, store: Store) -> None:
        org, user, colleague = new_user(), new_user(), new_user()
        groups = [new_group(org, f"g{i}") for i in range(3)]
        store.orgs.bind_user(user, org)
        store.orgs.bind_user(colleague, org)
        for group in groups:
            store.orgs.create_group(group)
            store.orgs.add_member(group.group_id, user)
            store.orgs.add_member(group.group_id, colleague)
        store.orgs.purge_user(user)
        assert store.orgs.org_of(user) is None
        assert store.orgs.org_of(colleague) == org
        assert store.orgs.list_org_users(org, 10).ids == [colleague]
        assert store.orgs.list_user_groups(user, 10).ids == []
        assert store.orgs.groups_among(user, [g.group_id for g in groups]) == set()
        for group in groups:
            assert store.orgs.list_members(group.group_id, 10).ids == [colleague]
            assert store.orgs.member_count(group.group_id) == 1
        store.orgs.purge_user(user)  # again: no error

    def test_purging_a_group_erases_it_and_its_memberships(self, store: Store) -> None:
        org, member = new_user(), new_user()
        group, kept = new_group(org, kind=ANNOUNCEMENTS), new_group(org)
        for g in (group, kept):
            store.orgs.create_group(g)
            store.orgs.add_member(g.group_id, member)
        store.orgs.claim_announcements(org, group.group_id)
        store.orgs.purge_group(group.group_id)
        assert store.orgs.get_group(group.group_id) is None
        assert store.orgs.get_group(kept.group_id) == kept
        assert store.orgs.list_org_groups(org, 10).ids == [kept.group_id]
        assert store.orgs.announcements_of(org) is None
        assert store.orgs.list_members(group.group_id, 10).ids == []
        assert store.orgs.member_count(group.group_id) == 0
        assert store.orgs.list_user_groups(member, 10).ids == [kept.group_id]
        assert store.orgs.groups_among(member, [group.group_id, kept.group_id]) == {kept.group_id}
        store.orgs.purge_group(group.group_id)  # again: no error

    # bulk loads (seeding)

    def test_loaded_posts_are_found_and_listed_as_created_ones_are(self, store: Store) -> None:
        author, group = new_user(), new_user()
        posts = [new_post(author, f"p{i}") for i in range(3)]
        in_group = new_post(author, "to the group", group_id=group, org_id=7)
        store.posts.load_posts(iter([*posts, in_group]))  # any iterable: a loader may stream them
        assert store.posts.get_posts([p.post_id for p in [*posts, in_group]]) == {
            p.post_id: p for p in [*posts, in_group]
        }
        assert store.posts.list_author_posts(author, None, 10) == posts[::-1]
        assert store.posts.list_group_posts(group, None, 10) == [in_group]
        assert author in set(store.graph.iter_user_ids())

    def test_loading_posts_again_stores_each_once(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(3)]
        store.posts.load_posts(posts[:2])
        store.posts.load_posts(posts)
        assert store.posts.list_author_posts(author, None, 10) == posts[::-1]

    def test_loaded_follows_are_visible_both_ways_and_counted_once(self, store: Store) -> None:
        star, fan, other = new_user(), new_user(), new_user()
        store.graph.follow(fan, star)
        store.graph.load_follows([(fan, star), (other, star), (other, star), (star, other)])
        store.graph.load_follows([(other, star)])
        assert sorted(followers_of(store, star)) == sorted([fan, other])
        assert list(store.graph.iter_following(other)) == [star]
        assert store.graph.follower_count(star) == 2
        assert store.graph.follower_count(other) == 1
        assert {star, fan, other} <= set(store.graph.iter_user_ids())

    def test_a_load_larger_than_any_batch_loads_every_edge(self, store: Store) -> None:
        star = new_user()
        fans = [new_user() for _ in range(2_500)]
        store.graph.load_follows((fan, star) for fan in fans)
        assert store.graph.follower_count(star) == len(fans)
        assert sorted(followers_of(store, star)) == sorted(fans)

    def test_loaded_bindings_are_first_wins_as_bind_user_is(self, store: Store) -> None:
        bound, new, first, second = new_user(), new_user(), new_user(), new_user()
        store.orgs.bind_user(bound, first)
        store.orgs.load_bindings([(bound, second), (new, second), (new, first)])
        assert store.orgs.orgs_of([bound, new]) == {bound: first, new: second}
        assert store.orgs.list_org_users(second, 10).ids == [new]
        assert sorted(store.orgs.list_org_users(first, 10).ids) == [bound]

    def test_a_load_of_one_user_following_many_counts_every_edge(self, store: Store) -> None:
        fan = new_user()
        stars = [new_user() for _ in range(600)]
        store.graph.load_follows([(fan, star) for star in stars] + [(fan, stars[0])])
        assert sorted(store.graph.iter_following(fan)) == sorted(stars)
        assert all(store.graph.follower_count(star) == 1 for star in stars[:20])

    def test_a_load_naming_users_twice_keeps_each_ones_first_binding(self, store: Store) -> None:
        first, second = new_user(), new_user()
        users = [new_user() for _ in range(200)]
        store.orgs.load_bindings([pair for user in users for pair in ((user, first), (user, second))])
        assert store.orgs.orgs_of(users) == dict.fromkeys(users, first)
        assert store.orgs.list_org_users(second, 10).ids == []

    def test_replaying_the_write_of_a_deleted_post_does_not_bring_it_back(self, store: Store) -> None:
        """A load replayed after the delete (a reseed): the delete wins."""
        author, group_id = new_user(), _ids.next_id()
        public, in_group = new_post(author), new_post(author, group_id=group_id)
        for post in (public, in_group):
            store.posts.create_post(post)
            store.posts.delete_post(post.post_id)
        store.posts.load_posts([public, in_group])
        assert store.posts.get_posts([public.post_id, in_group.post_id]) == {}
        assert store.posts.list_author_posts(author, None, 10) == []
        assert store.posts.list_group_posts(group_id, None, 10) == []

    def test_live_posts_page_through_the_tombstones_of_many_deleted_ones(self, store: Store) -> None:
        author = new_user()
        posts = [new_post(author, f"p{i}") for i in range(40)]
        for post in posts:
            store.posts.create_post(post)
        for post in posts:
            if int(post.text[1:]) % 8:
                store.posts.delete_post(post.post_id)
        live = [p.post_id for p in reversed(posts) if int(p.text[1:]) % 8 == 0]
        assert walk(lambda size, token: _author_page(store, author, size, token), 2) == live

    def test_posts_spanning_months_page_newest_first_across_every_bucket(self, store: Store) -> None:
        """Posts of one author months apart: the Cassandra store keeps them in several partitions."""
        author, group_id, day_ms = new_user(), _ids.next_id(), 86_400_000
        now_ms = int(time.time() * 1000)
        posts = []
        for days_ago in (200, 95, 94, 40, 1, 0):
            made = IdGenerator(clock=lambda t=now_ms - days_ago * day_ms: t / 1000).next_id()
            posts.append(dataclasses.replace(new_post(author, f"{days_ago}d"), post_id=made))
        in_group = [dataclasses.replace(p, group_id=group_id, post_id=p.post_id + 1) for p in posts[::2]]
        for post in posts + in_group:
            store.posts.create_post(post)
        store.posts.delete_post(posts[2].post_id)
        newest_first = [p.post_id for p in reversed(posts) if p is not posts[2]]
        listed = walk(lambda size, token: _author_page(store, author, size, token), 2)
        assert listed == newest_first
        assert [p.post_id for p in store.posts.list_group_posts(group_id, None, 10)] == [
            p.post_id for p in reversed(in_group)
        ]
        store.posts.purge_author(author)
        assert store.posts.list_author_posts(author, None, 10) == []
        assert store.posts.list_group_posts(group_id, None, 10) == []
        assert store.posts.get_posts([p.post_id for p in posts + in_group]) == {}


def _author_page(store: Store, author: int, size: int, token: int | None) -> Page:
    """list_author_posts as a paged listing: the token is the last id returned."""
    posts = store.posts.list_author_posts(author, token, size)
    return Page([p.post_id for p in posts], posts[-1].post_id if len(posts) == size else None)


class RaceContract(MarkerRaceContract, OnABackend):
    """Concurrent calls on one row: the lightweight-transaction paths of the Cassandra store."""

    def test_racing_creates_with_one_idempotency_key_store_one_post(self, store: Store) -> None:
        author = new_user()
        answers = _race(6, lambda i: store.posts.create_post(new_post(author, f"try {i}"), "same-key"))
        assert sum(created for _, created in answers) == 1
        assert len({post.post_id for post, _ in answers}) == 1
        assert len(store.posts.list_author_posts(author, None, 10)) == 1

    def test_racing_follows_of_one_edge_count_it_once(self, store: Store) -> None:
        fan, star = new_user(), new_user()
        assert sum(_race(6, lambda i: store.graph.follow(fan, star))) == 1
        assert store.graph.follower_count(star) == 1
        assert sum(_race(6, lambda i: store.graph.unfollow(fan, star))) == 1
        assert store.graph.follower_count(star) == 0

    def test_racing_deletes_of_one_post_report_one_success(self, store: Store) -> None:
        post, _ = store.posts.create_post(new_post(new_user()))
        assert sum(_race(6, lambda i: store.posts.delete_post(post.post_id))) == 1

    def test_racing_bindings_of_one_user_agree_on_one_organization(self, store: Store) -> None:
        user, orgs = new_user(), [new_user() for _ in range(6)]
        answers = _race(6, lambda i: store.orgs.bind_user(user, orgs[i]))
        assert len(set(answers)) == 1 and store.orgs.org_of(user) == answers[0]
        assert store.orgs.list_org_users(answers[0], 10).ids == [user]

    def test_racing_joins_of_one_member_count_them_once(self, store: Store) -> None:
        group_id, user = _ids.next_id(), new_user()
        assert sum(_race(6, lambda i: store.orgs.add_member(group_id, user))) == 1
        assert store.orgs.member_count(group_id) == 1
