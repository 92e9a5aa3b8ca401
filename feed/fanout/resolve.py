"""Resolve: everything a batch's plan needs to know, fetched from the store and Redis in bulk."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

from feed.domain import Source
from feed.events import Envelope, Followed, GroupJoined, GroupLeft, PostCreated, PostDeleted, Unfollowed
from feed.store.base import Store, walk_pages
from feed.timeline.sources import ReadTimeSources

FOLLOWER_PAGE = 10_000  # followers per store query while resolving a batch


@dataclasses.dataclass
class Facts:
    """What the store says now about the authors, posts and edges of one batch."""

    followers: dict[Source, list[int]]  # source -> its audience: followers, or members (none for read-time sources)
    live_posts: set[int]  # created posts of the batch that are not deleted
    following: set[tuple[int, int]]  # (follower, followee) edges of the batch's graph events that exist
    read_time: dict[Source, int] = dataclasses.field(default_factory=dict)  # read-time source -> audience size
    # Posts already in their source's read-time list: fanned out on read once, so for good,
    # even if the source has since fallen under the threshold (a replay must not push them).
    read_time_posts: set[int] = dataclasses.field(default_factory=set)
    # (user, group) pairs of the batch's join and leave events that are memberships now
    memberships: set[tuple[int, int]] = dataclasses.field(default_factory=set)


def resolve(
    store: Store,
    envelopes: Sequence[Envelope],
    threshold: int,
    read_time_sources: ReadTimeSources | None = None,
) -> Facts:
    """Fetch, in bulk, everything plan_fanout needs to know about a batch."""
    posts = [e.event for e in envelopes if isinstance(e.event, PostCreated)]
    posting = {p.source for p in posts}
    deleting = {e.event.source for e in envelopes if isinstance(e.event, PostDeleted)}
    edges = {
        (e.event.follower_id, e.event.followee_id) for e in envelopes if isinstance(e.event, Followed | Unfollowed)
    }
    joins = {(e.event.user_id, e.event.group_id) for e in envelopes if isinstance(e.event, GroupJoined | GroupLeft)}
    counts = {source: audience_size(store, source) for source in posting}
    read_time = {source: count for source, count in counts.items() if count > threshold}
    listed: set[int] = set()
    if read_time_sources is not None:
        by_org: dict[int, list[tuple[Source, int]]] = defaultdict(list)
        for post in posts:
            if post.source not in read_time:
                by_org[post.org_id].append((post.source, post.post_id))
        for org_id, pairs in by_org.items():
            listed |= read_time_sources.listed(pairs, org_id)
    # Deletes reach every follower even of a read-time source: posts from before the source
    # crossed the threshold were fanned out on write. Deletes are rare; posts are not.
    wanted = (posting - read_time.keys()) | deleting
    return Facts(
        followers={source: audience_of(store, source) for source in wanted},
        live_posts=set(store.posts.get_posts([p.post_id for p in posts])) if posts else set(),
        following={edge for edge in edges if store.graph.is_following(*edge)},
        read_time=read_time,
        read_time_posts=listed,
        memberships={(user, group) for user, group in joins if store.orgs.is_member(group, user)},
    )


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
