"""What one timeline read found: the reply shape of the tl_page and tl_newer Redis functions."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from feed.redis.keys import post_key


@dataclasses.dataclass(frozen=True, slots=True)
class TimelinePage:
    """What a timeline read found: state, ids newest first, and whether more exist."""

    state: str  # "missing", "building" or "ready"
    ids: list[int]
    more: bool
    # The read reached the list's oldest visible entry and the timeline goes on past it, in the store
    # (the list is its newest prefix: no complete mark, or past its bound). feed/read/deep.py reads on there.
    goes_on: bool = False
    # Post-cache entries by id read in the same round trip (a standalone Redis), as RedisPostCache.get_many takes
    # them: of all of ids (tl_page_posts, tl_newer_posts), or of the newest ids of several read-time lists read
    # together, one mapping shared by their pages (tl_sources_posts); None when the read did not bring them. Not
    # part of what the page is: two reads of the same ids are equal whether or not they brought their posts.
    cached: Mapping[int, Any] | None = dataclasses.field(default=None, compare=False, repr=False)


_STATES = {0: "missing", 1: "building", 2: "ready"}
_GOES_ON = 2  # feed.lua GOES_ON, reported when a read passes GOES_ON_ARG
GOES_ON_ARG = 1  # tl_page's and tl_newer's fifth argument: report GOES_ON
WITH_POSTS = "_posts"  # tl_page_posts, tl_newer_posts: the same read, with the cached posts of its ids
POST_KEY_PREFIX = post_key(0)[:-1]  # what the *_posts functions put before an id to name its post-cache key


def parse_page(reply: list[Any], cached: Mapping[int, Any] | None = None) -> TimelinePage:
    """A tl_page or tl_newer answer {state, more, ids...} as a TimelinePage (more's bit 2: goes_on), with the
    cached entries read with it, if any (for a ready list only)."""
    flags = int(reply[1])
    state = _STATES[int(reply[0])]
    if state != "ready":
        cached = None
    return TimelinePage(state, [int(x) for x in reply[2:]], bool(flags & 1), bool(flags & _GOES_ON), cached)


def parse_page_with_posts(reply: list[Any]) -> TimelinePage:
    """A tl_page_posts or tl_newer_posts answer {page, values} as a TimelinePage whose cached holds the
    values by id (none for a missing or building list)."""
    page = parse_page(reply[0])
    if page.state != "ready":
        return page
    return dataclasses.replace(page, cached=dict(zip(page.ids, reply[1], strict=True)))


def window_of(before_id: int | None, after_id: int | None) -> tuple[str, str]:
    """The Redis function and cursor of a read: below before_id (tl_page; '' = the newest), or the ids
    just above after_id (tl_newer: a newer page, oldest first in time so none is skipped)."""
    if after_id is not None:
        return "tl_newer", str(after_id)
    return "tl_page", "" if before_id is None else str(before_id)


def parse_pages_with_posts(reply: list[Any]) -> list[TimelinePage]:
    """A tl_sources_posts answer {pages, ids, values} as the lists' pages, in order; the values by id are the
    cached of every ready one (one mapping: the entries of the newest ids of their union)."""
    replies, ids, values = reply
    cached = dict(zip(map(int, ids), values, strict=True)) if ids else None
    return [parse_page(page, cached) for page in replies]
