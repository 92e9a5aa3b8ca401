"""No bottom: HomeTimelineReader pages past the Redis lists' tails, on a real SQLite store and the in-memory
timeline doubles or a real redis-server, lists bounded to a few entries (no worker runs: each test decides
what Redis holds)."""

from __future__ import annotations

import itertools

import pytest

from feed.domain import OPEN, PRIVATE, REGULAR, Group, Post, Source
from feed.ids import IdGenerator
from feed.page_tokens import shown_after
from feed.read import deep
from feed.read.home import HomeTimelineReader
from feed.read.hydrate import Hydrator
from feed.redis.connection import RedisFunctions
from feed.redis.post_cache import RedisPostCache
from feed.store import open_store
from feed.store.reposts import Repost
from feed.timeline.sources import RedisReadTimeSources
from feed.timeline.store import RedisTimelineStore
from tests.read.world import BACKENDS, ids, new_user
from tests.redis.in_memory import InMemoryPostCache
from tests.timeline.in_memory import InMemoryReadTimeSources, InMemoryTimelineStore

MAX = 10  # entries a Redis list shows: small, so a few dozen posts go well past it
_ids = IdGenerator(node=9)
_ms = itertools.count(1_700_000_000_000)


class CountingStore:
    """A store part whose every call is counted in a shared tally (how many store queries a page made)."""

    def __init__(self, part, tally: list[int]) -> None:
        self._part = part
        self._tally = tally

    def __getattr__(self, name: str):
        attr = getattr(self._part, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self._tally[0] += 1
            return attr(*args, **kwargs)

        return counted


class Deep:
    """A reader over lists of MAX entries, with helpers to fill the store and Redis."""

    def __init__(self, tmp_path, functions: RedisFunctions | None = None) -> None:
        """On the in-memory doubles, or on Redis through functions."""
        self.store = open_store(f"sqlite:///{tmp_path / 'feed.db'}")
        self.tally = [0]
        for part in ("posts", "graph", "orgs", "reposts"):
            setattr(self.store, part, CountingStore(getattr(self.store, part), self.tally))
        if functions is None:
            self.timelines, self.read_time = InMemoryTimelineStore(MAX), InMemoryReadTimeSources(MAX)
            cache = InMemoryPostCache(600)
        else:
            self.timelines, self.read_time = RedisTimelineStore(functions, MAX), RedisReadTimeSources(functions, MAX)
            cache = RedisPostCache(functions.client, 600)
        hydrator = Hydrator(cache, self.store.posts, self.store.reposts)
        self.home = HomeTimelineReader(self.store, self.timelines, self.read_time, hydrator)

    def posts(self, author: int, n: int, group: int = 0, org: int = 0) -> list[Post]:
        made = [Post(_ids.next_id(), author, "x", next(_ms), group_id=group, org_id=org) for _ in range(n)]
        self.store.posts.load_posts(made)
        return made

    def repost(self, reposter: int, post: Post) -> int:
        """reposter reposts post now; the repost's id (its entry)."""
        repost_id = _ids.next_id()
        self.store.reposts.create_repost(Repost(repost_id, reposter, post.post_id, post.org_id, next(_ms)))
        return repost_id

    def rebuild(self, user: int) -> None:
        """The user's list as a rebuild makes it: the newest MAX ids, truncated when there are more."""
        self.home.read(user, None, 1)

    def walk(self, user: int, size: int, cursor: int | None = None) -> tuple[list[int], int]:
        """Every post id from cursor down, page by page; and how many pages it took."""
        seen: list[int] = []
        for n in itertools.count(1):
            page = self.home.read(user, cursor, size)
            seen += ids(page.posts)
            cursor = page.next_cursor
            if cursor is None:
                return seen, n
            assert n < 5000, "paging did not end"

    def group(self, *members: int, visibility=OPEN) -> int:
        group_id = _ids.next_id()
        self.store.orgs.create_group(Group(group_id, 0, "g", visibility, REGULAR, members[0], next(_ms)))
        for member in members:
            self.store.orgs.add_member(group_id, member)
        return group_id


@pytest.fixture(params=BACKENDS)
def d(request, tmp_path):
    reader = Deep(tmp_path, request.getfixturevalue("functions") if request.param == "redis" else None)
    yield reader
    reader.store.close()


def newest_first(posts) -> list[int]:
    return sorted((p.post_id for p in posts), reverse=True)


@pytest.mark.parametrize("size", [1, 7, 100])
def test_pages_go_on_past_the_home_list_from_the_store_each_post_once_in_order(d, size):
    reader, authors = new_user(), [new_user() for _ in range(3)]
    for author in authors:
        d.store.graph.follow(reader, author)
    club = d.group(reader)
    everything = [p for a in authors for p in d.posts(a, 20)] + d.posts(reader, 3) + d.posts(new_user(), 5, club)
    d.rebuild(reader)
    assert d.timelines.page(reader, None, 100).ids == newest_first(everything)[:MAX]  # Redis holds the newest only
    assert d.walk(reader, size)[0] == newest_first(everything)


def test_a_page_straddling_the_tail_takes_redis_ids_then_the_stores(d):
    reader, author = new_user(), new_user()
    d.store.graph.follow(reader, author)
    old = d.posts(author, 15)
    d.rebuild(reader)
    pushed = d.posts(author, 3)  # fanned out after the rebuild: Redis holds 13 ids, the newest 10 of them shown
    d.timelines.push([(reader, p.post_id) for p in pushed])
    first = d.home.read(reader, None, 8)
    second = d.home.read(reader, first.next_cursor, 8)
    assert ids(first.posts) + ids(second.posts) == newest_first(old + pushed)[:16]


def test_a_whole_list_ends_the_walk_without_asking_the_store(d):
    reader, author = new_user(), new_user()
    d.store.graph.follow(reader, author)
    shown = d.posts(author, 4)
    d.rebuild(reader)  # four posts: the list is whole (complete mark)
    d.home.read(reader, None, 10)  # warms the post cache
    before = d.tally[0]
    page = d.home.read(reader, None, 10)
    assert ids(page.posts) == newest_first(shown) and page.next_cursor is None
    assert d.tally[0] - before == 1  # the follow guard's query; nothing listed or read past the list


def test_no_store_query_below_the_tail_while_redis_has_older_entries(d):
    reader, author = new_user(), new_user()
    d.store.graph.follow(reader, author)
    d.posts(author, 30)
    d.rebuild(reader)
    d.home.read(reader, None, 5)  # warms the post cache
    before = d.tally[0]
    page = d.home.read(reader, None, 5)
    assert len(page.posts) == 5
    assert d.tally[0] - before <= 1  # the follow guard only


def test_a_forged_cursor_far_in_the_past_returns_the_oldest_posts_and_ends_at_a_bounded_cost(d):
    reader = new_user()
    followed = [new_user() for _ in range(deep.DEEP_AUTHORS_MAX * 3)]
    for author in followed:
        d.store.graph.follow(reader, author)
    mine = d.posts(reader, 3)  # the oldest posts the reader can see
    for author in followed[:40]:
        d.posts(author, 2)
    d.rebuild(reader)
    before = d.tally[0]
    page = d.home.read(reader, mine[-1].post_id + 1, 10)
    assert ids(page.posts) == newest_first(mine) and page.next_cursor is None
    assert d.tally[0] - before <= deep.DEEP_QUERIES_MAX + 3  # and the follow guard's three kinds of facts
    assert d.tally[0] - before < len(followed)  # not one query per author followed


def test_below_the_tail_the_filters_hold(d):
    reader, friend, gone, pest, stranger = (new_user() for _ in range(5))
    for author in (friend, gone, pest):
        d.store.graph.follow(reader, author)
    joined, private = d.group(reader, pest), d.group(stranger, friend, visibility=PRIVATE)
    deleted = d.posts(friend, 1)[0]
    hidden = d.posts(gone, 2) + d.posts(pest, 2, joined) + d.posts(friend, 2, private) + d.posts(friend, 2, org=7)
    shown = d.posts(friend, 3)
    newer = d.posts(friend, MAX + 2)  # Redis holds these; everything above is below its tail
    d.store.posts.delete_post(deleted.post_id)
    d.store.graph.unfollow(reader, gone)
    d.store.graph.block(pest, reader)
    d.rebuild(reader)
    seen, _ = d.walk(reader, 4)
    assert seen == newest_first(newer + shown)
    assert deleted.post_id not in seen
    assert not set(seen) & {p.post_id for p in hidden}


def test_a_trimmed_read_time_list_goes_on_from_the_store_below_its_tail(d):
    reader, star, friend = new_user(), new_user(), new_user()
    d.store.graph.follow(reader, star)
    d.store.graph.follow(reader, friend)
    d.posts(friend, 2)
    d.rebuild(reader)  # the friend's two posts: a whole home list
    loud = d.posts(star, 40)
    d.read_time.push([(Source(author_id=star), p.post_id) for p in loud])  # trimmed to its newest MAX
    assert d.read_time.pages([Source(author_id=star)], None, 100)[0].goes_on  # not whole: it goes on below
    seen, _ = d.walk(reader, 7)
    assert seen[:40] == newest_first(loud) and len(seen) == 42


def test_reposts_below_the_tail_are_shown_once_each_with_the_walks_memory_over_1200_entries(d):
    """1,200 entries past a list of MAX: a followed author's posts, and a followed reposter's reposts of a
    stranger's posts (shown through them only) and of the author's (shown once, at the repost's time)."""
    reader, author, reposter, stranger = (new_user() for _ in range(4))
    d.store.graph.follow(reader, author)
    d.store.graph.follow(reader, reposter)
    originals: dict[int, int] = {}  # entry -> the post it shows
    authors: list[Post] = []
    for n in range(480):
        authors += d.posts(author, 1)
        originals[authors[-1].post_id] = authors[-1].post_id
        theirs = d.posts(stranger, 1)[0]
        originals[d.repost(reposter, theirs)] = theirs.post_id
        if n % 2:  # the author's post of the step before: its own entry is further down
            originals[d.repost(reposter, authors[-2])] = authors[-2].post_id
    d.rebuild(reader)
    expected, met = [], set()
    for entry in sorted(originals, reverse=True):  # each post once, at its newest entry
        if originals[entry] not in met:
            met.add(originals[entry])
            expected.append(entry)
    assert len(originals) == 1_200 and d.timelines.page(reader, None, 100).ids == expected[:MAX]

    walked, cursor, shown = [], None, ()
    for _ in range(1_000):
        page = d.home.read(reader, cursor, 7, shown=shown)
        walked += page.posts
        shown = shown_after(shown, [p.repost_of for p in page.posts if p.repost_of])  # the token's memory
        cursor = page.next_cursor
        if cursor is None:
            break
    assert ids(walked) == expected
    assert all(p.reposted_by == (reposter if p.repost_of else 0) for p in walked)
    assert [p.original_id for p in walked] == [originals[e] for e in expected]
