"""The merge stage: the id lists of a page's sources as one list, newest first, without duplicates."""

from __future__ import annotations

import dataclasses
import heapq
import itertools

from feed.timeline.page import TimelinePage


@dataclasses.dataclass(frozen=True, slots=True)
class Candidates:
    """Ids from every source below one cursor, merged newest first."""

    ids: list[int]
    more: bool  # some source has ids older than the last one here


def merge_sources(pages: list[TimelinePage], count: int) -> Candidates:
    """Merge sorted id lists without duplicates; keep the newest count."""
    if len(pages) == 1:  # the common case: no followed read-time source, nothing to merge
        return Candidates(pages[0].ids[:count], len(pages[0].ids) > count or pages[0].more)
    # Only count + 1 ids are wanted (the one past count tells whether more remain): the merge stops
    # there instead of merging every id of every list.
    unique = (k for k, _ in itertools.groupby(heapq.merge(*(p.ids for p in pages), reverse=True)))
    merged = list(itertools.islice(unique, count + 1))
    return Candidates(merged[:count], len(merged) > count or any(p.more for p in pages))


def merge_newer(pages: list[TimelinePage], count: int, skip: frozenset[int] = frozenset()) -> Candidates:
    """Merge the sources' ids just above a cursor, without duplicates and the ids in skip; keep the OLDEST
    count (a newer page skips none), newest first; more: newer ids remain past them.

    Each source must have given its count + len(skip) ids just above the cursor, so that the oldest
    count of the union are all there whatever skip removes."""
    merged = [k for k, _ in itertools.groupby(heapq.merge(*(p.ids for p in pages), reverse=True)) if k not in skip]
    return Candidates(merged[-count:] if count else [], len(merged) > count or any(p.more for p in pages))
