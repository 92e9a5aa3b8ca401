"""Riders that read read-time lists' pages inside another round trip (a home page's first: feed/timeline/store.py
page_with_sources), as Riders of feed/redis/calls.py: one list's page, or several lists' pages with the cached
posts of their union's newest ids. An optional source never fails the page it rides in."""

from __future__ import annotations

from typing import Any

from feed.redis.calls import Call, OptionalCall
from feed.timeline.page import TimelinePage, parse_page, parse_pages_with_posts


class PageRider:
    """One read-time list's page read riding in another round trip (a home page's first: feed/timeline/store.py
    page_with_sources), as a Rider (feed/redis/calls.py). page stays None until settled, and when its call
    failed: an optional source never fails the page it rides in (the reader reads the lists again)."""

    __slots__ = ("_call", "page")

    def __init__(self, call: Call) -> None:
        self._call = OptionalCall(call)
        self.page: TimelinePage | None = None

    @property
    def pages(self) -> list[TimelinePage] | None:
        """The list's page as a list of one (what every rider of page_riders answers), None as page is."""
        return None if self.page is None else [self.page]

    def call(self) -> Call:
        return self._call

    def settle(self, reply: Any) -> None:
        self.page = None if isinstance(reply, Exception) else parse_page(reply)

    def settle_alone(self) -> None:
        """No pipeline to ride in: no page (the reader reads the lists on their own)."""
        self.page = None


class PagesRider:
    """Several read-time lists' pages read as one call riding in another round trip, with the cached posts of
    their union's newest ids (tl_sources_posts: a standalone Redis; TimelinePage.cached). pages: one per list,
    in order; None until settled, and when the call failed (any list's error fails them all: read them again)."""

    __slots__ = ("_call", "pages")

    def __init__(self, call: Call) -> None:
        self._call = OptionalCall(call)
        self.pages: list[TimelinePage] | None = None

    def call(self) -> Call:
        return self._call

    def settle(self, reply: Any) -> None:
        self.pages = None if isinstance(reply, Exception) else parse_pages_with_posts(reply)

    def settle_alone(self) -> None:
        self.pages = None


ListsRider = PageRider | PagesRider  # what page_riders answers: once settled, their pages are the lists'
