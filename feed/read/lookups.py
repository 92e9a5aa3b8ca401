"""Reads that are not timelines: one post, follow lists, a group, its members, the caller's groups.

The same rules as everywhere: what is in another organization, or in a private
group the caller is not in, answers NotFound as what does not exist. Page
tokens are the clients' opaque ones (feed.page_tokens), checked here after the
rules before them, as the API has always answered.

Every read first spends one of the caller's read budget (feed/access/rate_limit.py).
A post id whose time lies in the future names no post yet: it answers NotFound
with neither a cache nor a store lookup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from feed.access.groups import GroupAccess
from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.domain import Group, Page, Post
from feed.errors import NotFound, PermissionDenied
from feed.ids import is_future_id, now_ms, require_id
from feed.page_tokens import unwrap_store_token, wrap_store_token
from feed.read.hydrate import Hydrator
from feed.read.user import refuse_if_blocked
from feed.store.base import Store
from feed.validate import page_size

LIST_PAGE_DEFAULT = 50
LIST_PAGE_MAX = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class IdPage:
    """One page of user ids and the client's opaque token of the next ("" on the last)."""

    ids: list[int]
    next_token: str


@dataclasses.dataclass(frozen=True, slots=True)
class GroupPage:
    """One page of the caller's groups and the client's opaque token of the next ("" on the last)."""

    groups: list[Group]
    next_token: str


class Lookups:
    """The single-item and list reads of the write service (GetPost, ListFollowers, GetGroup, ...)."""

    def __init__(
        self,
        store: Store,
        hydrator: Hydrator,
        orgs: OrgDirectory,
        groups: GroupAccess,
        limiter: RedisRateLimiter,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._hydrator = hydrator
        self._orgs = orgs
        self._groups = groups
        self._limiter = limiter
        self._clock = clock  # the wall clock ids are made from (not a test's frozen clock of stored times)

    def post(self, caller: Principal, post_id: int) -> Post:
        """A live post the caller may see: in their organization, group, and no block between its author
        and the caller, either way."""
        post_id = require_id(post_id, "post_id")
        self._limiter.take(caller.user_id)
        post = self._live_post(caller, post_id)
        refuse_if_blocked(self._store.graph, post.author_id, caller.user_id)
        return post

    def shareable(self, caller: Principal, post_id: int) -> Post:
        """As post(), for a repost (no rate limit taken: the caller's write took one); a block either way
        answers NotFound too, as an unknown post (docs/reposts.md)."""
        post = self._live_post(caller, require_id(post_id, "post_id"))
        try:
            refuse_if_blocked(self._store.graph, post.author_id, caller.user_id)
        except PermissionDenied:
            raise NotFound(f"post {post_id} not found") from None
        return post

    def _live_post(self, caller: Principal, post_id: int) -> Post:
        """The live original post of that id in the caller's organization and groups; NotFound alike for
        an unknown id, a repost's id, another organization's post and a group the caller may not see."""
        if is_future_id(post_id, self._clock()):
            raise NotFound(f"post {post_id} not found")  # no generator made it yet: nothing to look up
        post = self._hydrator.hydrate([post_id]).get(post_id)
        if post is None or post.repost_of or post.org_id != caller.org_id:
            raise NotFound(f"post {post_id} not found")
        if post.group_id:
            try:
                self._groups.visible(post.group_id, caller)
            except NotFound:
                raise NotFound(f"post {post_id} not found") from None
        return post

    def followers(self, caller: Principal, user_id: int, size: int, token: str) -> IdPage:
        """Who follows user_id."""
        user = require_id(user_id, "user_id")
        size = page_size(size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._limiter.take(caller.user_id)
        self._orgs.require_user(user, caller)
        return self._visible(self._store.graph.list_followers(user, size, unwrap_store_token(token)), caller)

    def following(self, caller: Principal, user_id: int, size: int, token: str) -> IdPage:
        """Whom user_id follows."""
        user = require_id(user_id, "user_id")
        size = page_size(size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._limiter.take(caller.user_id)
        self._orgs.require_user(user, caller)
        return self._visible(self._store.graph.list_following(user, size, unwrap_store_token(token)), caller)

    def _visible(self, page: Page, caller: Principal) -> IdPage:
        """The page without the ids the caller may not be shown: edges to an id that signed in to
        another organization stay stored but show nowhere (feed/access/orgs.py). A page may
        come back shorter than asked for; its token goes on where the store's did."""
        return _public(Page(self._orgs.among_visible(list(page.ids), caller), page.next_token))

    def group(self, caller: Principal, group_id: int, user_id: int) -> Group:
        group_id = require_id(group_id, "group_id")
        caller = caller.acting_as(require_id(user_id, "user_id"), "user_id")
        self._limiter.take(caller.user_id)
        return self._groups.visible(group_id, caller)

    def group_members(self, caller: Principal, group_id: int, user_id: int, size: int, token: str) -> IdPage:
        """The members of a group the caller may see."""
        group_id = require_id(group_id, "group_id")
        caller = caller.acting_as(require_id(user_id, "user_id"), "user_id")
        size = page_size(size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._limiter.take(caller.user_id)
        self._groups.visible(group_id, caller)
        return self._visible(self._store.orgs.list_members(group_id, size, unwrap_store_token(token)), caller)

    def my_groups(self, caller: Principal, user_id: int, size: int, token: str) -> GroupPage:
        """The groups the caller is a member of, in the store's order."""
        caller = caller.acting_as(require_id(user_id, "user_id"), "user_id")
        size = page_size(size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)
        self._limiter.take(caller.user_id)
        page = self._store.orgs.list_user_groups(caller.user_id, size, unwrap_store_token(token))
        groups = self._store.orgs.get_groups(page.ids)
        # Only the caller's organization's: a membership made before an id signed in elsewhere shows nowhere.
        mine = [groups[g] for g in page.ids if g in groups and groups[g].org_id == caller.org_id]
        return GroupPage(mine, wrap_store_token(page.next_token))


def _public(page: Page) -> IdPage:
    """The store's page with its token wrapped as the client's opaque one."""
    return IdPage(page.ids, wrap_store_token(page.next_token))
