"""Each filter of the read path, alone: pure functions over posts and facts, reporting kept and removed."""

from __future__ import annotations

from feed.domain import Post
from feed.read.filters import (
    drop_blocked_authors,
    drop_deleted,
    drop_duplicates,
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


def repost(entry_id: int, original: Post, reposter: int) -> Post:
    """A repost entry as hydration makes it: the original's fields under the entry's id."""
    return Post(
        entry_id,
        original.author_id,
        original.text,
        original.create_time_ms,
        original.group_id,
        original.org_id,
        reposted_by=reposter,
        repost_of=original.post_id,
    )


def test_a_repost_is_kept_for_its_reposter_whoever_wrote_the_original():
    kept = drop_unfollowed_authors(
        [
            repost(9, post(1, STRANGER), FRIEND),
            repost(8, post(2, FRIEND), STRANGER),
            repost(7, post(3, STRANGER), READER),
        ],
        ctx(),
    )
    assert kept_and_removed(kept) == ([9, 7], [8])


def test_a_block_of_the_author_or_of_the_reposter_hides_a_repost():
    posts = [repost(9, post(1, PEST), FRIEND), repost(8, post(2, FRIEND), PEST), repost(7, post(3, STRANGER), FRIEND)]
    assert kept_and_removed(drop_blocked_authors(posts, ctx())) == ([7], [9, 8])


def test_a_page_shows_each_post_once_and_remembers_those_shown_for_the_next():
    original, other = post(1, STRANGER), post(2, FRIEND)
    facts = ReadFacts({FRIEND}, set(), set(), shown={5})
    posts = [
        repost(9, original, FRIEND),
        repost(8, original, READER),
        repost(6, post(5, FRIEND), FRIEND),
        other,
        original,
    ]
    result = drop_duplicates(posts, ReadContext(READER, ORG, facts))
    assert kept_and_removed(result) == ([9, 2], [8, 6, 1])
    assert {1, 2} <= facts.shown


def test_a_page_without_reposts_is_left_as_it_is():
    posts = [post(3, FRIEND), post(2, FRIEND)]
    facts = ReadFacts({FRIEND}, set(), set())
    assert drop_duplicates(posts, ReadContext(READER, ORG, facts)).kept is posts
    assert facts.shown == set()


def test_a_newer_walk_hides_reposts_of_posts_it_went_over_from_sources_the_reader_reads():
    """The walk went over ids 10 - 20 (ReadFacts.walked): a followed author's post there, a group's the reader
    is in, the reader's own, were shown as themselves; a repost of one is hidden. A stranger's post there was
    never in the timeline, and one below the walk's bottom was not walked over: their reposts are shown."""
    facts = ReadFacts({FRIEND}, {CLUB}, set(), walked=(10, 20))
    posts = [
        repost(30, post(15, FRIEND), FRIEND),
        repost(29, post(16, STRANGER), FRIEND),
        repost(28, post(17, STRANGER, group=CLUB), FRIEND),
        repost(27, post(18, READER), FRIEND),
        repost(26, post(9, FRIEND), FRIEND),
        repost(25, post(21, FRIEND), FRIEND),
        post(24, FRIEND),
    ]
    result = drop_duplicates(posts, ReadContext(READER, ORG, facts))
    assert kept_and_removed(result) == ([29, 26, 25, 24], [30, 28, 27])


def test_an_older_page_or_a_walk_without_a_bottom_hides_no_post_as_walked_over():
    posts = [repost(30, post(15, FRIEND), FRIEND), post(12, FRIEND), post(11, READER)]
    facts = ReadFacts({FRIEND}, set(), set())  # walked: (0, 0)
    assert kept_and_removed(drop_duplicates(posts, ReadContext(READER, ORG, facts))) == ([30, 12, 11], [])
