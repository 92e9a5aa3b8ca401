"""The types the read path's stages share: what a filter sees, what it answers, and how it is counted.

A read is sources -> merge -> hydrate -> filters -> page. Filters are pure:
they look only at the posts and at the facts fetched before them (ReadFacts,
filled by the follow guard), so they can be tested without Redis or a store,
and each one reports what it kept and what it removed. A FilterStage gives a
filter the stable name that labels its counts in feed_read_stage_posts_total.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import NamedTuple

from feed.domain import Post
from feed.read.quiet import Quiet
from feed.telemetry import metrics


class FilterResult(NamedTuple):  # a tuple: made several times a page, cheaper than a dataclass
    """What a filter let through, and the ids of the posts it dropped."""

    kept: list[Post]
    removed: list[int]


@dataclasses.dataclass(slots=True)
class ReadFacts:
    """What the store said about the reader's relationships, among the authors and groups asked about.

    Filled by the follow guard before filtering and grown as a page reads further;
    a filter trusts a fact only for authors and groups the guard was asked about.
    """

    followed: set[int] = dataclasses.field(default_factory=set)  # authors the reader follows
    groups: set[int] = dataclasses.field(default_factory=set)  # groups the reader is a member of
    blocked: set[int] = dataclasses.field(default_factory=set)  # authors the reader blocked or who blocked the reader
    quiet: Quiet | None = None  # the reader's mutes and keyword filters (None: not loaded, nothing hidden)
    # Ids of the posts this walk of pages showed already (reposted ones from the page token, then this
    # page's): the duplicate filter shows each post once (docs/reposts.md).
    shown: set[int] = dataclasses.field(default_factory=set)
    # A newer walk's range (bottom, cursor): posts it went over, shown already as themselves if the reader
    # reads their source (feed/read/newer.py); (0, 0) on older pages.
    walked: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class ReadContext:
    """Who reads, inside which organization, and the facts fetched for them beforehand."""

    reader_id: int
    org_id: int
    facts: ReadFacts


Filter = Callable[[list[Post], ReadContext], FilterResult]


class StageCounts:
    """One stage's two counters, bound once (a label lookup costs more than the increment) and bumped
    by a page's numbers, never once per post. Binding at import makes the series exist from 0."""

    __slots__ = ("_kept", "_removed", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._kept = metrics.READ_STAGE_POSTS.labels(name, "kept")
        self._removed = metrics.READ_STAGE_POSTS.labels(name, "removed")

    def count(self, result: FilterResult) -> None:
        """Add one run's numbers (nothing to add: no increment, no lock taken)."""
        if result.kept:
            self._kept.inc(len(result.kept))
        if result.removed:
            self._removed.inc(len(result.removed))


class FilterStage:
    """A pure filter under its stage name, the label of its counts. for_good: what it removes can never be
    shown to this reader again (read repair takes it out of their timeline, feed/read/repair.py)."""

    __slots__ = ("apply", "counts", "for_good", "name")

    def __init__(self, name: str, apply: Filter, for_good: bool = False) -> None:
        self.name = name
        self.apply = apply
        self.for_good = for_good
        self.counts = StageCounts(name)


def run_filters(
    stages: Sequence[FilterStage], posts: list[Post], ctx: ReadContext, gone: list[int] | None = None
) -> list[Post]:
    """Apply the filter stages in order, counting each; the posts every one of them kept.

    The ids the for_good stages removed are added to gone, when given."""
    for stage in stages:
        result = stage.apply(posts, ctx)
        stage.counts.count(result)
        if gone is not None and stage.for_good:
            gone += result.removed
        posts = result.kept
    return posts


def split(posts: list[Post], kept: list[Post]) -> FilterResult:
    """A filter's answer from its input and what it kept (kept keeps the input's order).

    Nothing removed is the common case and costs one length check; the removed
    ids are listed only when something was dropped.
    """
    if len(kept) == len(posts):
        return FilterResult(kept, [])
    survivors = {id(p) for p in kept}
    return FilterResult(kept, [p.post_id for p in posts if id(p) not in survivors])
