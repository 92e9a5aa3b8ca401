"""Paged: follows the page tokens, older pages to an empty token, newer pages to an empty page."""

from __future__ import annotations

from feed.client.paging import Paged


class InMemoryPages:
    """Items 1..n, newest (highest) first, in pages of `size`; tokens are positions; counts the pages read."""

    def __init__(self, n: int, size: int) -> None:
        self.items = list(range(n, 0, -1))
        self.size = size
        self.reads = 0

    def older(self, token: str) -> tuple[list[int], str]:
        self.reads += 1
        start = int(token or 0)
        end = start + self.size
        return self.items[start:end], str(end) if end < len(self.items) else ""


def test_every_item_is_seen_once_in_order_across_120_items_in_pages_of_7():
    pages = InMemoryPages(120, 7)
    assert list(Paged(pages.older)) == list(range(120, 0, -1))
    assert pages.reads == 18  # 17 full pages and one of 1: no read past the last


def test_a_limit_stops_early_without_reading_further_pages():
    pages = InMemoryPages(120, 7)
    assert list(Paged(pages.older, limit=10)) == list(range(120, 110, -1))
    assert pages.reads == 2


def test_newer_pages_end_at_the_first_empty_one_and_keep_its_token_to_poll_with():
    answers = {"t0": ([1, 2], "t1"), "t1": ([3], "t2"), "t2": ([], "t3")}
    newer = Paged(lambda token: answers[token], "t0", until_empty=True)
    assert list(newer) == [1, 2, 3]
    assert newer.token == "t3"


def test_an_empty_list_is_one_read():
    pages = InMemoryPages(0, 7)
    assert list(Paged(pages.older)) == [] and pages.reads == 1
