"""Iterators over paged lists: they follow the page tokens so callers write one `for` loop.

A page source is a function token -> (items, token of the following page). Older pages end when the
token comes back empty; newer pages (prev_page_token) end at the first empty page, whose token is
where to poll later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
PageSource = Callable[[str], tuple[Sequence[T], str]]
MAX_PAGES = 100_000  # a server that kept answering a token would otherwise loop for ever


class Paged(Generic[T]):
    """The items of successive pages, in the order the pages hold them.

    `token` is where the page after the last one read starts: after an exhausted `newer` iterator,
    the token to poll with later. Stopped by `limit` in the middle of a page, it is the token of
    that page's successor, so the page's remaining items would be skipped from it."""

    def __init__(self, source: PageSource[T], token: str = "", limit: int | None = None, until_empty: bool = False):
        self.token = token
        self._source = source
        self._limit = limit
        self._until_empty = until_empty
        self._items = self._walk()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return next(self._items)

    def _walk(self) -> Iterator[T]:
        left = self._limit
        for _ in range(MAX_PAGES):
            if left is not None and left <= 0:
                return
            items, following = self._source(self.token)
            if self._until_empty and not items:
                self.token = following or self.token  # an empty newer page still carries the token to poll with
                return
            self.token = following
            yield from items if left is None else items[:left]
            if left is not None:
                left -= len(items)
            if not self._until_empty and not following:
                return
        raise RuntimeError(f"paging did not end within {MAX_PAGES} pages")
