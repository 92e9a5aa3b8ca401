"""The merge and page stages: one id list from many sources, and a page with the cursor of the next."""

from __future__ import annotations

from feed.domain import Post
from feed.read.merge import Candidates, merge_sources
from feed.read.page import FeedPage, PageBuilder
from feed.timeline.page import TimelinePage


def ready(*ids: int, more: bool = False) -> TimelinePage:
    return TimelinePage("ready", list(ids), more)


def posts(*ids: int) -> list[Post]:
    return [Post(i, 1, "", 0) for i in ids]


def test_one_source_is_cut_to_count_and_says_more_remain():
    assert merge_sources([ready(9, 8, 7)], 2) == Candidates([9, 8], True)
    assert merge_sources([ready(9, 8)], 2) == Candidates([9, 8], False)
    assert merge_sources([ready(9, 8, more=True)], 2) == Candidates([9, 8], True)


def test_sources_merge_newest_first_without_duplicates():
    merged = merge_sources([ready(9, 6, 3), ready(8, 6, 2), ready(7)], 10)
    assert merged == Candidates([9, 8, 7, 6, 3, 2], False)


def test_merged_sources_keep_the_newest_count_and_say_more_remain():
    assert merge_sources([ready(9, 5), ready(8, 4)], 3) == Candidates([9, 8, 5], True)
    assert merge_sources([ready(9), ready(8, more=True)], 3) == Candidates([9, 8], True)


def test_duplicates_at_the_cut_do_not_count_as_more():
    assert merge_sources([ready(9, 8), ready(9, 8), ready(8)], 2) == Candidates([9, 8], False)
    assert merge_sources([ready(9, 8), ready(9, 8, 7)], 2) == Candidates([9, 8], True)


def test_ids_above_two_to_the_53_merge_exactly():
    big = 2**60
    assert merge_sources([ready(big + 2, big), ready(big + 1)], 5).ids == [big + 2, big + 1, big]


def test_a_page_with_a_post_to_spare_ends_at_its_last_post():
    page = PageBuilder(2, None)
    assert page.add(posts(9, 8, 7), Candidates([9, 8, 7], True)) == FeedPage(posts(9, 8), 8)


def test_a_short_page_of_the_last_ids_has_no_next_cursor():
    page = PageBuilder(3, None)
    assert page.add(posts(9, 8), Candidates([9, 8], False)) == FeedPage(posts(9, 8), None)


def test_a_page_short_of_posts_reads_on_below_the_last_id_it_read():
    page = PageBuilder(3, None)
    assert page.add(posts(9), Candidates([9, 8, 7, 6], True)) is None  # filters dropped 8, 7, 6
    assert (page.wanted, page.cursor) == (2, 6)
    assert page.add(posts(5, 4, 3), Candidates([5, 4, 3], True)) == FeedPage(posts(9, 5, 4), 4)


def test_a_full_page_peeks_past_hidden_posts_before_it_ends():
    page = PageBuilder(1, None)
    assert page.add(posts(9), Candidates([9, 8], True)) is None  # 8 hidden: is anything visible after 9?
    assert (page.wanted, page.cursor) == (0, 8)
    assert page.add([], Candidates([7], False)) == FeedPage(posts(9), None)  # no: this is the last page


def test_an_unfinished_page_continues_below_the_last_id_read():
    page = PageBuilder(3, 100)
    page.add(posts(9), Candidates([9, 8], True))
    assert page.unfinished() == FeedPage(posts(9), 8)
