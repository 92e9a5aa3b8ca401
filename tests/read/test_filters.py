"""Each filter of the read path, alone: pure functions over posts and facts, reporting kept and removed."""

from __future__ import annotations

from feed.domain import Post
from feed.read.filters import (
    drop_blocked_authors,
    drop_deleted,
    drop_groups_not_joined,
    drop_other_organization,
    drop_unfollowed_authors,
)
from feed.read.stages import FilterResult, ReadContext, ReadFacts

READER, FRIEND, STRANGER, PEST = 1, 2, 3, 4
CLUB, OTHER_CLUB = 10, 11
ORG = 5


def post(post_id: int, author: int, group: int = 0, org: int = ORG) -> Post:
    return Post(post_id, author, f"text {post_id}", 1_700_000_000_000 + post_id, group_id=group, org_id=org)


def ctx(followed=(FRIEND,), groups=(CLUB,), blocked=(PEST,)) -> ReadContext:
    return ReadContext(READER, ORG, ReadFacts(set(followed), set(groups), set(blocked)))


def kept_and_removed(result: FilterResult) -> tuple[list[int], list[int]]:
    return [p.post_id for p in result.kept], result.removed


def test_drop_deleted_keeps_hydrated_ids_in_order_and_reports_the_missing():
    found = {9: post(9, FRIEND), 7: post(7, FRIEND)}
    assert kept_and_removed(drop_deleted([9, 8, 7, 6], found)) == ([9, 7], [8, 6])


def test_drop_deleted_removes_nothing_when_every_id_hydrated():
    found = {9: post(9, FRIEND), 7: post(7, FRIEND)}
    assert kept_and_removed(drop_deleted([9, 7], found)) == ([9, 7], [])


def test_posts_of_another_organization_are_removed():
    posts = [post(9, FRIEND), post(8, FRIEND, org=ORG + 1), post(7, READER)]
    assert kept_and_removed(drop_other_organization(posts, ctx())) == ([9, 7], [8])


def test_posts_to_followers_are_kept_only_from_followed_authors_and_the_reader():
    posts = [post(9, FRIEND), post(8, STRANGER), post(7, READER), post(6, STRANGER, group=CLUB)]
    # the stranger's group post is the group filters' business, not this one's
    assert kept_and_removed(drop_unfollowed_authors(posts, ctx())) == ([9, 7, 6], [8])


def test_an_unfollow_known_to_the_facts_hides_the_author_at_once():
    posts = [post(9, FRIEND), post(8, FRIEND)]
    assert kept_and_removed(drop_unfollowed_authors(posts, ctx(followed=()))) == ([], [9, 8])


def test_group_posts_are_kept_only_from_groups_the_reader_is_a_member_of():
    posts = [post(9, FRIEND, group=CLUB), post(8, FRIEND, group=OTHER_CLUB), post(7, STRANGER)]
    assert kept_and_removed(drop_groups_not_joined(posts, ctx())) == ([9, 7], [8])


def test_group_posts_by_blocked_authors_are_removed_and_other_posts_left_alone():
    posts = [post(9, PEST, group=CLUB), post(8, FRIEND, group=CLUB), post(7, PEST)]
    # a block also ends a follow: a blocked author's post to followers is the follow filter's business
    assert kept_and_removed(drop_blocked_authors(posts, ctx())) == ([8, 7], [9])


def test_filters_keep_the_very_list_when_nothing_is_removed():
    posts = [post(9, FRIEND), post(8, READER)]
    result = drop_unfollowed_authors(posts, ctx())
    assert result.kept == posts and result.removed == []


def test_filters_answer_empty_for_no_posts():
    for drop in (drop_other_organization, drop_unfollowed_authors, drop_groups_not_joined, drop_blocked_authors):
        assert drop([], ctx()) == FilterResult([], [])
