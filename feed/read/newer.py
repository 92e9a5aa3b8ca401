"""Newer pages of a home timeline: the posts just above a cursor, without gaps, duplicates or misses.

A newer page returns the ids above the cursor's floor that it has not read yet,
the OLDEST first in time (at most page_size of them), so that a client that
repeats the call until a page comes back empty has seen every newer post once,
however many arrived. The page is shown newest first, like every page.

Late arrivals. Ids are time-ordered, but fan-out across partitions can land a
post in a timeline after a newer one was already returned (the Redis lists are
kept sorted: late ids are inserted in place). So a newer cursor (NewerCursor,
feed/page_tokens.py) does not read from its newest id but from a floor up to
SETTLE_IDS (SETTLE_MS of id time) below it, skipping the ids of that window it
has already read (seen, at most MAX_SEEN: past that the floor is raised to the
oldest one dropped). The bound: a post is returned by a newer page if it lands
no later than SETTLE_MS (in id time) after the newest post already read, and
no more than MAX_SEEN newer posts were read since. Later than that, a live
stream reports a gap and the client re-reads the top of its timeline.

Ids hidden for good on the way (deleted, filtered) count as read too: they are
never shown, and rereading them on every poll could stall a client behind a
long run of them. A client never gets the same post twice: a read id stays in
seen until the floor passes it.

Reposts. A post shown through a repost can come back above it in the walk,
through another repost (a read-time reposter's list skips the fan-out's
newest-40 rule) or as its original landing late (a follow's backfill): the
cursor remembers the originals the walk showed through reposts (shown, the
newest MAX_SHOWN, as an older-page token does), and the duplicate filter hides
them (docs/reposts.md). A post the walk showed as itself can come back the same
way: a repost landing after it in the reader's list, where the newest-40 rule of
tl_repost did not see it (it came from a read-time source's list, or lay deeper
than 40 entries). So the cursor also remembers the walk's bottom, the oldest post
its first page showed: every post from there up to the cursor was walked over, and
a repost of one whose source the reader reads is hidden as shown already
(drop_duplicates, feed/read/filters.py).

Pure logic here; the rounds run in feed/read/home.py (read_newer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from feed.domain import Post
from feed.ids import EPOCH_MS, MAX_ID, NODE_BITS, SEQUENCE_BITS
from feed.page_tokens import MAX_SEEN, SETTLE_IDS, NewerCursor, shown_after
from feed.read.merge import Candidates
from feed.read.page import FeedPage


@dataclasses.dataclass(frozen=True)
class NewerPage:
    """A newer page: its posts newest first, the cursor of the page after it (its prev_page_token), and
    whether newer posts remain past it (a client reads again at once rather than at its next poll)."""

    posts: list[Post]
    newer: NewerCursor
    more: bool

    @property
    def older_than(self) -> int:
        """Where the next older page starts (its posts are below this id): below the page's oldest post,
        or, for an empty page, below everything read so far."""
        return self.posts[-1].post_id if self.posts else min(self.newer.cursor + 1, MAX_ID)


def first_id_at(ms: int) -> int:
    """The smallest id a generator can make at the Unix time ms."""
    return max(ms - EPOCH_MS, 0) << (NODE_BITS + SEQUENCE_BITS)


def advance(newer: NewerCursor, read: list[int], shown: Sequence[Post] = ()) -> NewerCursor:
    """The cursor after reading (returning or hiding for good) the ids of read, all above newer.floor
    and not in newer.seen, and every id not in seen between the floor and the newest of them; shown:
    the posts returned, oldest first (the originals of the reposts among them are remembered)."""
    top = max([newer.cursor, *read])
    floor = max(newer.floor, top - SETTLE_IDS)
    bottom = newer.bottom or (shown[0].post_id if shown else 0)  # a walk from an empty page starts here
    return _bounded(top, floor, [*newer.seen, *read], shown_after(newer.shown, _reposted(shown)), bottom)


def after_older_page(page: FeedPage, before_id: int | None, now_ms: int) -> NewerCursor:
    """The prev_page_token of an older page (the first one when before_id is None): the posts just above
    its newest post, none of those it showed, none of those below it (next pages show them), none of the
    posts it showed through reposts again, nor, through a repost, a post it showed as itself."""
    if page.posts:
        top, bottom = page.posts[0].post_id, page.posts[-1].post_id
        below = -1 if page.next_cursor is None else page.next_cursor  # older pages read below next_cursor
        shown = shown_after((), _reposted(page.posts[::-1]))  # the newest ones, if more than MAX_SHOWN
        return _bounded(top, max(top - SETTLE_IDS, below, 0), [p.post_id for p in page.posts], shown, bottom)
    if before_id is not None:  # past the end: the position is just below before_id
        return NewerCursor(before_id - 1, before_id - 1)
    top = first_id_at(now_ms)  # an empty timeline: what is posted from now on (and late, within the window)
    return NewerCursor(top, max(top - SETTLE_IDS, 0))


def _bounded(top: int, floor: int, read: list[int], shown: tuple[int, ...] = (), bottom: int = 0) -> NewerCursor:
    """A cursor at top and floor remembering the read ids above the floor, the newest MAX_SEEN of them
    (the floor raised to the newest one it forgets), the originals shown through reposts and the walk's
    bottom."""
    seen = sorted({i for i in read if i > floor}, reverse=True)
    if len(seen) > MAX_SEEN:
        floor, seen = seen[MAX_SEEN], seen[:MAX_SEEN]
    return NewerCursor(top, floor, tuple(seen), shown, bottom)


def _reposted(posts: Sequence[Post]) -> list[int]:
    """The originals of the reposts among posts, in their order."""
    return [p.repost_of for p in posts if p.repost_of]


class NewerPageBuilder:
    """Collects one newer page over the rounds of a read: each round reads above `after` (skipping
    the seen ids above it) and takes the oldest posts the filters kept."""

    __slots__ = ("after", "more", "read", "size", "start", "taken")

    def __init__(self, size: int, start: NewerCursor) -> None:
        self.size = size
        self.start = start
        self.after = start.floor  # read above this id next round
        self.taken: list[Post] = []  # oldest first
        self.read: list[int] = []  # ids returned or hidden for good, to be skipped from now on
        self.more = False

    @property
    def wanted(self) -> int:
        """Posts the page still lacks (0 once full: the next round peeks for one more)."""
        return self.size - len(self.taken)

    @property
    def skip(self) -> frozenset[int]:
        """The ids already read above this round's cursor (the next round's reads skip them)."""
        return frozenset(i for i in self.start.seen if i > self.after)

    def add(self, kept: list[Post], candidates: Candidates) -> NewerPage | None:
        """Take a round's kept posts (newest first, as the candidates); the finished page, or None when
        another round must read on."""
        want = self.wanted
        oldest_first = kept[::-1]
        if len(oldest_first) > want:  # a full page, and a post the reader may see after it
            self.taken += oldest_first[:want]
            # Read: the candidates up to the last post taken; those above it are left for the next page.
            last = self.taken[-1].post_id if want else self.after
            self.read += [i for i in candidates.ids if i <= last]
            self.more = True
            return self.finish()
        self.taken += oldest_first
        self.read += candidates.ids
        if not candidates.more or not candidates.ids:
            return self.finish()
        self.after = candidates.ids[0]  # every id up to the newest candidate was read
        return None

    def unfinished(self) -> NewerPage:
        """The page after MAX_ROUNDS: filters hid a long run, the client continues above it."""
        self.more = True
        return self.finish()

    def finish(self) -> NewerPage:
        return NewerPage(self.taken[::-1], advance(self.start, self.read, self.taken), self.more)
