"""Narrow store contracts that every backend implements (see tests/store/contract.py).

One interface per kind of data (the outbox in outbox.py, read markers in
markers.py, mutes and keyword filters in quiet.py), so a backend can be tested and replaced piece by piece. Every
method is safe to call again with the same arguments (at-least-once callers
retry; MarkerStore.set_marker, a compare-and-set, is the one exception), and no
method returns an unbounded list:
anything that can grow with the number of followers is paged or iterated.

Every method a write use case changes state with takes `outbox`: the events of
that change, made durable together with it or not at all (feed/store/outbox.py).
They are recorded on every call, also when the change was made before (a retry
re-sends its events; workers apply them idempotently), except create_post with
an idempotency key already used, whose first call recorded them.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence

from feed.domain import Group, Page, Post
from feed.store.markers import MarkerStore
from feed.store.outbox import OutboxEntry, OutboxStore
from feed.store.quiet import QuietStore
from feed.store.reposts import RepostStore

Outbox = Sequence[OutboxEntry]  # the events of one change, recorded with it or not at all


class PostStore(abc.ABC):
    """Posts by id and each author's posts newest first."""

    @abc.abstractmethod
    def create_post(self, post: Post, idempotency_key: str = "", outbox: Outbox = ()) -> tuple[Post, bool]:
        """Store a post and its outbox entries; with a non-empty key already used by this
        author, return that earlier post instead and record nothing. The bool says whether a
        new post was stored."""

    @abc.abstractmethod
    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        """The live (not deleted) posts among post_ids, by id; unknown ids are absent."""

    def get_post(self, post_id: int) -> Post | None:
        """One live post, or None."""
        return self.get_posts([post_id]).get(post_id)

    @abc.abstractmethod
    def delete_post(self, post_id: int, outbox: Outbox = ()) -> bool:
        """Mark a post deleted everywhere the store answers from; True if it was live."""

    @abc.abstractmethod
    def find_post(self, post_id: int) -> tuple[Post, bool] | None:
        """A post whether live or deleted, and whether it is deleted; None if never stored
        (or purged). What lets a retried delete finish as the first one would have."""

    @abc.abstractmethod
    def list_author_posts(
        self, author_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        """Up to limit live posts of one author with id < before_id, newest first; given after_id, the
        limit of them just above it (the oldest with id > after_id: a newer page's), still newest first.

        Only posts made to the author's followers: a group post belongs to its group
        (list_group_posts), and reaches only the group's members."""

    @abc.abstractmethod
    def list_group_posts(
        self, group_id: int, before_id: int | None, limit: int, after_id: int | None = None
    ) -> list[Post]:
        """Up to limit live posts made in one group with id < before_id, newest first; given after_id, the
        limit of them just above it, as list_author_posts."""

    @abc.abstractmethod
    def load_posts(self, posts: Iterable[Post]) -> None:
        """Store many posts at once, without idempotency keys: for seeding (a benchmark, a migration),
        not for requests. Loading a post that is stored already changes nothing."""

    @abc.abstractmethod
    def purge_post(self, post_id: int) -> None:
        """Erase a post and everything kept about it (an organization's deletion)."""

    @abc.abstractmethod
    def purge_author(self, author_id: int) -> None:
        """Erase every post of an author, deleted and group posts included, and their idempotency
        keys (an organization's deletion)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


class GraphStore(abc.ABC):
    """Follow edges, stored both ways so either side pages cheaply."""

    @abc.abstractmethod
    def follow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        """Add an edge; True if it did not exist before."""

    @abc.abstractmethod
    def load_follows(self, edges: Iterable[tuple[int, int]]) -> None:
        """Add many (follower, followee) edges at once, for seeding; an edge that exists stays one
        edge, and follower counts count each edge once."""

    @abc.abstractmethod
    def unfollow(self, follower_id: int, followee_id: int, outbox: Outbox = ()) -> bool:
        """Remove an edge; True if it existed."""

    @abc.abstractmethod
    def is_following(self, follower_id: int, followee_id: int) -> bool:
        """Whether the edge exists."""

    @abc.abstractmethod
    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        """The candidates that follower_id follows, in one bulk lookup (the read path's guard)."""

    @abc.abstractmethod
    def block(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        """Record a block and remove the follow edges between the two, both ways, at once;
        True if the block did not exist."""

    @abc.abstractmethod
    def unblock(self, blocker_id: int, blocked_id: int, outbox: Outbox = ()) -> bool:
        """Remove a block; True if it existed."""

    @abc.abstractmethod
    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        """Whether blocker_id has blocked blocked_id."""

    @abc.abstractmethod
    def blocked_among(self, blocker_id: int, candidate_ids: Iterable[int]) -> set[int]:
        """The candidates blocker_id has blocked, in one bulk lookup (the read path's group-post guard)."""

    @abc.abstractmethod
    def blocked_either_way_among(self, user_id: int, candidate_ids: Iterable[int]) -> set[int]:
        """The candidates user_id has blocked or who have blocked user_id, in one bulk lookup (the read
        path's group-post guard: blocks hide both ways)."""

    @abc.abstractmethod
    def list_blocked(self, blocker_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the ids blocker_id has blocked (export), with list_followers' guarantees."""

    @abc.abstractmethod
    def purge_user(self, user_id: int) -> None:
        """Erase every follow edge and block of user_id, both ways (an organization's deletion)."""

    @abc.abstractmethod
    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of follower ids. Every follower appears exactly once across the
        pages of one walk; the order is the backend's own but stable."""

    @abc.abstractmethod
    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the ids user_id follows, with list_followers' guarantees."""

    @abc.abstractmethod
    def follower_count(self, user_id: int) -> int:
        """How many accounts follow user_id."""

    @abc.abstractmethod
    def iter_user_ids(self) -> Iterator[int]:
        """Every user that has a follow edge either way or a post, each once."""

    def iter_following(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every account user_id follows, fetched a page at a time."""
        yield from walk_pages(lambda token: self.list_following(user_id, page_size, token))

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


class OrgStore(abc.ABC):
    """Organizations: which one each user belongs to, and their groups and memberships.

    A user is bound to one organization for good (bind_user is first-wins), so
    every process can cache the binding. Everything an organization owns can be
    listed from its id (list_org_users, list_org_groups), which is what exporting
    or deleting one organization whole walks.
    """

    @abc.abstractmethod
    def bind_user(self, user_id: int, org_id: int) -> int:
        """Bind user_id to org_id unless it is bound already; return the org it is bound to."""

    @abc.abstractmethod
    def load_bindings(self, bindings: Iterable[tuple[int, int]]) -> None:
        """bind_user for many (user, org) pairs at once, for seeding; first-wins as bind_user."""

    @abc.abstractmethod
    def orgs_of(self, user_ids: Iterable[int]) -> dict[int, int]:
        """The organization of each bound user among user_ids; unbound users are absent."""

    def org_of(self, user_id: int) -> int | None:
        """One user's organization, or None if the user is not bound to any."""
        return self.orgs_of([user_id]).get(user_id)

    @abc.abstractmethod
    def list_org_users(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the users bound to org_id, with GraphStore.list_followers' guarantees."""

    @abc.abstractmethod
    def create_group(self, group: Group) -> None:
        """Store a new group (again with the same group: no change)."""

    @abc.abstractmethod
    def claim_announcements(self, org_id: int, group_id: int) -> int:
        """Make group_id the organization's announcements group unless it has one; return the one it has."""

    @abc.abstractmethod
    def announcements_of(self, org_id: int) -> int | None:
        """The id of the organization's announcements group, if it has one yet."""

    @abc.abstractmethod
    def get_groups(self, group_ids: Iterable[int]) -> dict[int, Group]:
        """The existing groups among group_ids, by id."""

    def get_group(self, group_id: int) -> Group | None:
        return self.get_groups([group_id]).get(group_id)

    @abc.abstractmethod
    def add_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        """Add a member; True if they were not one before."""

    @abc.abstractmethod
    def remove_member(self, group_id: int, user_id: int, outbox: Outbox = ()) -> bool:
        """Remove a member; True if they were one."""

    @abc.abstractmethod
    def groups_among(self, user_id: int, group_ids: Iterable[int]) -> set[int]:
        """The groups among group_ids that user_id is a member of (one bulk lookup: the read guard)."""

    def is_member(self, group_id: int, user_id: int) -> bool:
        return group_id in self.groups_among(user_id, [group_id])

    @abc.abstractmethod
    def invite(self, group_id: int, user_id: int, inviter_id: int, expires_ms: int) -> None:
        """Record that inviter_id invites user_id into the group until expires_ms (epoch ms); a newer
        invitation of the same user into the same group replaces the older one."""

    @abc.abstractmethod
    def invitation(self, group_id: int, user_id: int, now_ms: int) -> int | None:
        """The inviter of user_id's invitation into the group if it is live at now_ms, else None."""

    @abc.abstractmethod
    def remove_invitation(self, group_id: int, user_id: int) -> None:
        """Forget user_id's invitation into the group (accepted); no invitation: no change."""

    @abc.abstractmethod
    def member_count(self, group_id: int) -> int:
        """How many members the group has."""

    @abc.abstractmethod
    def list_members(self, group_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of a group's member ids, with GraphStore.list_followers' guarantees."""

    @abc.abstractmethod
    def list_user_groups(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the ids of the groups user_id belongs to."""

    @abc.abstractmethod
    def list_org_groups(self, org_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the ids of the organization's groups."""

    @abc.abstractmethod
    def purge_group(self, group_id: int) -> None:
        """Erase a group, its memberships and its invitations (its posts are purged one by one by the caller)."""

    @abc.abstractmethod
    def purge_user(self, user_id: int) -> None:
        """Erase a user's binding and memberships (GraphStore.purge_user erases their edges;
        their posts are purged one by one by the caller)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


@dataclasses.dataclass
class Store:
    """The parts of one backend, opened together from one URL."""

    posts: PostStore
    graph: GraphStore
    orgs: OrgStore
    outbox: OutboxStore
    markers: MarkerStore  # read markers (feed/store/markers.py)
    quiet: QuietStore  # mutes and keyword filters (feed/store/quiet.py)
    reposts: RepostStore  # who reposted what (feed/store/reposts.py)

    def close(self) -> None:
        self.posts.close()
        self.graph.close()
        self.orgs.close()
        self.outbox.close()
        self.markers.close()
        self.quiet.close()
        self.reposts.close()


MAX_PAGES = 1_000_000  # a walk longer than this means a backend returned a token loop


def walk_pages(fetch: Callable[[str | None], Page]) -> Iterator[int]:
    """Every id of a paged listing: fetch(token) gives one Page, from token None on.

    A module function, not a store method, so on a timed store each page's query is
    timed once rather than each id of the walk."""
    token: str | None = None
    for _ in range(MAX_PAGES):
        page: Page = fetch(token)
        yield from page.ids
        if page.next_token is None:
            return
        token = page.next_token
    raise RuntimeError("store paging did not end")
