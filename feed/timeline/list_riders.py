"""Riders that read read-time lists' pages inside another round trip (a home page's first: feed/timeline/store.py
page_with_sources), as Riders of feed/redis/calls.py: one list's page, or several lists' pages with the cached
posts of their union's newest ids. An optional source never fails the page it rides in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feed.redis.calls import Call, OptionalCall
from feed.timeline.page import TimelinePage, parse_page, parse_page_with_posts, parse_pages_with_posts


class ListsRider:
    """Read-time lists' pages read as one call riding in another round trip, as a Rider (feed/redis/calls.py).
    pages: one per list the call read, in order; None until settled, and when the call failed: an optional
    source never fails the page it rides in (the reader reads the lists again)."""

    __slots__ = ("_call", "_parse", "pages")

    def __init__(self, call: Call, parse: Callable[[Any], list[TimelinePage]]) -> None:
        self._call = OptionalCall(call)
        self._parse = parse
        self.pages: list[TimelinePage] | None = None

    def call(self) -> Call:
        return self._call

    def settle(self, reply: Any) -> None:
        self.pages = None if isinstance(reply, Exception) else self._parse(reply)

    def settle_alone(self) -> None:
        """No pipeline to ride in: no pages (the reader reads the lists on their own)."""
        self.pages = None


class PageRider(ListsRider):
    """One read-time list's page (tl_page or tl_newer: a cluster, or a newer window)."""

    __slots__ = ()

    def __init__(self, call: Call) -> None:
        super().__init__(call, _one_page)

    @property
    def page(self) -> TimelinePage | None:
        return None if self.pages is None else self.pages[0]


class PagePostsRider(ListsRider):
    """One read-time list's page with the cached posts of its ids (tl_newer_posts: a standalone Redis, a newer
    window; TimelinePage.cached)."""

    __slots__ = ()

    def __init__(self, call: Call) -> None:
        super().__init__(call, _one_page_with_posts)


class PagesRider(ListsRider):
    """Several read-time lists' pages in one call, with the cached posts of their union's newest ids
    (tl_sources_posts: a standalone Redis, an older window; TimelinePage.cached). Any list's error fails them
    all: the lists are read again."""

    __slots__ = ()

    def __init__(self, call: Call) -> None:
        super().__init__(call, parse_pages_with_posts)


def _one_page(reply: Any) -> list[TimelinePage]:
    return [parse_page(reply)]


def _one_page_with_posts(reply: Any) -> list[TimelinePage]:
    return [parse_page_with_posts(reply)]
