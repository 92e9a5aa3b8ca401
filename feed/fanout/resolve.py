"""Resolve: everything a batch's plan needs to know, fetched from the store and Redis in bulk."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence

from feed.domain import Source
from feed.events import (
    Envelope,
    Followed,
    GroupJoined,
    GroupLeft,
    PostCreated,
    PostDeleted,
    Reposted,
    Unfollowed,
    fanout_view,
)
from feed.fanout.reposts import MAX_REPOSTS_REMOVED, live_posts, live_reposts
from feed.redis.keys import TIMELINE_SLACK
from feed.store.base import Store, walk_pages
from feed.store.reposts import Repost
from feed.timeline.sources import ReadTimeSources

FOLLOWER_PAGE = 10_000  # followers per store query while resolving a batch


@dataclasses.dataclass(frozen=True, slots=True)
class Edge:
    """A follower following a followee."""

    follower_id: int
    followee_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Membership:
    """A user being a member of a group."""

    user_id: int
    group_id: int


@dataclasses.dataclass(frozen=True)
class AudiencePages:
    """A source's whole audience (followers, or members) as pages of user ids, read from the store only
    when iterated, and again on each iteration: a delete walks millions of followers a page at a time
    and never holds them all."""

    store: Store
    source: Source
    page_size: int = FOLLOWER_PAGE

    def __iter__(self) -> Iterator[list[int]]:
        source, size = self.source, self.page_size
        token: str | None = None
        while True:
            if source.group_id:
                page = self.store.orgs.list_members(source.group_id, size, token)
            else:
                page = self.store.graph.list_followers(source.author_id, size, token)
            if page.ids:
                yield page.ids
            if page.next_token is None:
                return
            token = page.next_token


@dataclasses.dataclass
class Facts:
    """What the store and Redis say now about the authors, posts and edges of one batch."""

    followers: dict[Source, list[int]]  # posting source -> its audience: followers, or members (none for read-time)
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[Edge]  # edges of the batch's follow and unfollow events that exist
    read_time: dict[Source, int] = dataclasses.field(default_factory=dict)  # read-time source -> audience size
    # Posts already in their source's read-time list, among the batch's posts and the backfills' candidates:
    # fanned out on read once, so for good, even if the source has since fallen under the threshold.
    read_time_posts: set[int] = dataclasses.field(default_factory=set)
    memberships: set[Membership] = dataclasses.field(default_factory=set)  # of join and leave events, that exist
    # Newest post ids first, of the followee or group of each follow and join: as many as a timeline shows.
    backfill_posts: dict[Source, list[int]] = dataclasses.field(default_factory=dict)
    # Newest post ids first, of the followee or group of each unfollow and leave: as many as a timeline holds.
    unmerge_posts: dict[Source, list[int]] = dataclasses.field(default_factory=dict)
    # Deleting source -> its whole audience, walked page by page when the removals are applied.
    delete_audiences: dict[Source, AudiencePages] = dataclasses.field(default_factory=dict)
    # Repost id -> original id, of the batch's reposts still stored and whose original is live.
    originals: dict[int, int] = dataclasses.field(default_factory=dict)
    # Deleted post id -> its reposts, whose entries leave their reposters' audiences with it.
    deleted_reposts: dict[int, list[Repost]] = dataclasses.field(default_factory=dict)


GraphEvent = Followed | Unfollowed | GroupJoined | GroupLeft


def edge_source(event: GraphEvent) -> Source:
    """The source whose posts a follow or a join brings into a timeline (and its undoing takes out)."""
    if isinstance(event, Followed | Unfollowed):
        return Source(author_id=event.followee_id)
    return Source(group_id=event.group_id)


def resolve(
    store: Store,
    envelopes: Sequence[Envelope],
    threshold: int,
    max_entries: int,
    read_time_sources: ReadTimeSources,
) -> Facts:
    """Fetch, in bulk, everything plan_fanout needs to know about a batch.

    max_entries is the timelines' bound: a backfill merges that many of a
    source's newest posts; an unmerge removes that many plus TIMELINE_SLACK.
    A batch of posts alone costs no post listing and no more Redis round trips.
    """
    raw = [e.event for e in envelopes]
    events = [fanout_view(e) for e in raw]  # reposts as posts of the reposter's (docs/reposts.md)
    posts = [e for e in events if isinstance(e, PostCreated)]
    posting = {p.source for p in posts}
    originals = live_reposts(store, [e for e in raw if isinstance(e, Reposted)])
    deleted = [e.post_id for e in raw if isinstance(e, PostDeleted)]
    deleted_reposts = {post_id: store.reposts.reposts_of(post_id, MAX_REPOSTS_REMOVED) for post_id in deleted}
    deleting = {e.source for e in events if isinstance(e, PostDeleted)}
    deleting |= {Source(author_id=r.reposter_id) for found in deleted_reposts.values() for r in found}
    edges = {Edge(e.follower_id, e.followee_id) for e in events if isinstance(e, Followed | Unfollowed)}
    joins = {Membership(e.user_id, e.group_id) for e in events if isinstance(e, GroupJoined | GroupLeft)}
    counts = {source: audience_size(store, source) for source in posting}
    read_time = admitted(read_time_sources, posts, {s: n for s, n in counts.items() if n > threshold})
    merging = {(edge_source(e), e.org_id) for e in events if isinstance(e, Followed | GroupJoined)}
    unmerging = {edge_source(e) for e in events if isinstance(e, Unfollowed | GroupLeft)}
    backfill_posts, unmerge_posts = posts_to_move(store, {s for s, _ in merging}, unmerging, max_entries)
    listed = already_listed(read_time_sources, posts, read_time, merging, backfill_posts)
    return Facts(
        followers={source: audience_of(store, source) for source in posting - read_time.keys()},
        live_posts=live_posts(store, posts, originals),
        following={edge for edge in edges if store.graph.is_following(edge.follower_id, edge.followee_id)},
        read_time=read_time,
        read_time_posts=listed,
        memberships={m for m in joins if store.orgs.is_member(m.group_id, m.user_id)},
        backfill_posts=backfill_posts,
        unmerge_posts=unmerge_posts,
        # Deletes reach every follower even of a read-time source: posts from before the source
        # crossed the threshold were fanned out on write. Listed lazily: an audience can be millions.
        delete_audiences={source: AudiencePages(store, source) for source in deleting},
        originals=originals,
        deleted_reposts={post_id: found for post_id, found in deleted_reposts.items() if found},
    )


def admitted(
    read_time_sources: ReadTimeSources, posts: Sequence[PostCreated], above: dict[Source, int]
) -> dict[Source, int]:
    """The sources above the threshold that their organization's registry admits (one call per organization).

    A source refused by a full registry is fanned out on write like any other: more work for
    this worker, nothing lost for readers."""
    if not above:
        return {}
    by_org: dict[int, set[Source]] = defaultdict(set)
    for post in posts:
        if post.source in above:
            by_org[post.org_id].add(post.source)
    admitted: set[Source] = set()
    for org_id, sources in by_org.items():
        admitted |= read_time_sources.admit(sources, org_id)
    return {source: count for source, count in above.items() if source in admitted}


def posts_to_move(
    store: Store, merging: set[Source], unmerging: set[Source], max_entries: int
) -> tuple[dict[Source, list[int]], dict[Source, list[int]]]:
    """The newest post ids of the sources a batch backfills and of those it unmerges, newest first: an
    author's reposts' ids among them (a follow brings them as a rebuild would, an unfollow takes them out).

    One store query per group and two per author, long enough for both when a batch both merges and
    unmerges it. Listed now, written when the plan is applied: why that gap loses nothing is told in apply.py.
    """
    limits = {source: max_entries for source in merging} | {s: max_entries + TIMELINE_SLACK for s in unmerging}
    newest = {}
    for source, limit in limits.items():
        if source.group_id:
            found = store.posts.list_group_posts(source.group_id, None, limit)
            newest[source] = [p.post_id for p in found]
            continue
        found = store.posts.list_author_posts(source.author_id, None, limit)
        reposts = store.reposts.list_user_reposts(source.author_id, None, limit)
        ids = [p.post_id for p in found] + [r.repost_id for r in reposts]
        newest[source] = sorted(ids, reverse=True)[:limit] if reposts else ids
    return {s: newest[s][:max_entries] for s in merging}, {s: newest[s] for s in unmerging}


def already_listed(
    read_time_sources: ReadTimeSources,
    posts: Sequence[PostCreated],
    read_time: dict[Source, int],
    merging: set[tuple[Source, int]],
    backfill_posts: dict[Source, list[int]],
) -> set[int]:
    """Which of the batch's posts (of sources under the threshold) and of the backfills' candidates are
    in their source's read-time list already: one query per organization, as for a batch of posts alone."""
    candidates: dict[int, list[tuple[Source, int]]] = defaultdict(list)
    for post in posts:
        if post.source not in read_time:
            candidates[post.org_id].append((post.source, post.post_id))
    for source, org_id in merging:  # (followee or group, organization of the follow or join)
        candidates[org_id].extend((source, post_id) for post_id in backfill_posts[source])
    listed: set[int] = set()
    for org_id, pairs in candidates.items():
        listed |= read_time_sources.listed(pairs, org_id)
    return listed


def audience_size(store: Store, source: Source) -> int:
    """How many timelines a post of this source goes to: the author's followers or the group's members."""
    if source.group_id:
        return store.orgs.member_count(source.group_id)
    return store.graph.follower_count(source.author_id)


def audience_of(store: Store, source: Source) -> list[int]:
    """Every follower of an author, or every member of a group."""
    if source.group_id:
        return list(walk_pages(lambda token: store.orgs.list_members(source.group_id, FOLLOWER_PAGE, token)))
    return all_followers(store, source.author_id)


def all_followers(store: Store, author_id: int) -> list[int]:
    """Every follower of an author, FOLLOWER_PAGE at a time.

    Pages of the store's list_followers rather than iter_followers: the timed
    store wraps iteration item by item, which costs more than the query itself
    for an author with a hundred thousand followers.
    """
    return list(walk_pages(lambda token: store.graph.list_followers(author_id, FOLLOWER_PAGE, token)))
