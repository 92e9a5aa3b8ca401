"""The timed stream of a generated trace: each request drawn so that it is valid where it stands.

One `Stream` per organization keeps what later requests may name (recent posts, readers
in the middle of paging, the groups and who is in them); `Population` sends each request
to one organization, drawn by its share of the users. A request naming something comes
MIN_REF_AGE_MS after what made it, so a replay sending it on time finds it answered;
while nothing can be named yet, or no member may act, a kind becomes one that is always
valid (see FALLBACK), so the mix is followed as closely as the state allows.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from feed.loadtest.graph import Org
from feed.loadtest.groups import Group, GroupBook
from feed.loadtest.quiet import QuietBook
from feed.loadtest.trace import Record

if TYPE_CHECKING:
    from feed.loadtest.params import GeneratorParams

POST_POOL_MAX = 10_000  # per organization: posts later deletes and gets may name; oldest leave first
PAGING_POOL_MAX = 1_000  # per organization and rpc: readers who may ask for their next page
MIN_REF_AGE_MS = 2_000  # a request naming a post or a page comes this long after it: the answer is back by then
NAMES_A_GROUP = {"GetGroup", "JoinGroup", "LeaveGroup", "ListGroupMembers", "GetGroupTimeline"}
FALLBACK = {  # when nothing valid is found; each chain ends in a kind that always is
    "Unfollow": "Follow",
    **dict.fromkeys(NAMES_A_GROUP, "ListMyGroups"),
    "Unmute": "Mute",
    "DeleteFilter": "CreateFilter",
    "CreateFilter": "Mute",
    "Unrepost": "Repost",
    "Repost": "CreatePost",
    "DeletePost": "CreatePost",
}
REPOST_POOL_MAX = 10_000  # per organization: reposts a later Unrepost may undo


class Stream:
    """The timed stream's state in one organization; one method per request kind, each returning its fields."""

    def __init__(self, params: GeneratorParams, org: Org, rng: random.Random) -> None:
        self.p, self.graph, self.rng = params, org.graph, rng
        self.org: Record = {"org": org.org_id} if org.org_id else {}  # absent: the default organization
        self.book = GroupBook(org.graph, rng, MIN_REF_AGE_MS, params.private_groups)
        self.quiet = QuietBook(org.graph, rng, MIN_REF_AGE_MS)
        self.young: deque[tuple[int, int, int]] = deque()  # (t, ordinal, author): not yet safe to name
        self.posts: list[tuple[int, int]] = []  # (ordinal, author) safe to name
        self.paging: dict[str, deque[tuple[int, int]]] = {}  # rpc -> (t, user) whose next page may come
        self.group_paging: dict[str, deque[tuple[int, int, Group]]] = {}  # rpc -> (t, user, group)
        self.reposts: deque[tuple[int, int, int]] = deque()  # (t, ordinal of the Repost, reposter), oldest first
        # post_ref -> t of its newest repost, for MIN_REF_AGE_MS: a delete then could overtake the repost in a
        # replay (both in flight), which would answer NOT_FOUND; its oldest entries leave first
        self.reposted: dict[int, int] = {}

    def build(self, rpc: str, t: int, ordinal: int) -> Record:
        self._ripen(t)
        if rpc in ("DeletePost", "GetPost") and not self.posts:
            rpc = "CreatePost"  # nothing to name yet: early in the stream, post instead
        if rpc in NAMES_A_GROUP and not self.book.groups:
            rpc = "CreateGroup"  # likewise: no group to name yet
        fields = getattr(self, "_" + rpc)(t, ordinal)
        while fields is None:  # nobody to unfollow, no member to act: a request that is valid
            rpc = FALLBACK[rpc]
            fields = getattr(self, "_" + rpc)(t, ordinal)
        return {"t": t, "rpc": rpc, **self.org, **fields}

    def _ripen(self, t: int) -> None:
        while self.young and self.young[0][0] <= t - MIN_REF_AGE_MS:
            _, ordinal, author = self.young.popleft()
            if len(self.posts) >= POST_POOL_MAX:
                self.posts[self.rng.randrange(len(self.posts))] = (ordinal, author)
            else:
                self.posts.append((ordinal, author))

    def _CreatePost(self, t: int, ordinal: int) -> Record:
        if self.book.groups and self.rng.random() < self.p.group_posts:
            group = self.book.any_group()
            member = self.book.settled_member(group, t)
            if member is not None:  # a group post: never named later (a delete after leaving may be refused)
                return {"author_id": member, "text_len": self._text_len(), "key": f"g{ordinal}", "group_ref": group.ref}
        author = self.graph.popular_user(self.rng)  # popular accounts post more: the costly fan-outs
        self.young.append((t, ordinal, author))
        return {"author_id": author, "text_len": self._text_len(), "key": f"g{ordinal}"}

    def _text_len(self) -> int:
        return max(1, min(5000, round(self.rng.expovariate(1.0 / self.p.text_mean))))

    def _DeletePost(self, t: int, ordinal: int) -> Record | None:
        """A post deleted by its author: not one reposted just now (None if one is drawn)."""
        while self.reposted and next(iter(self.reposted.values())) <= t - MIN_REF_AGE_MS:
            del self.reposted[next(iter(self.reposted))]
        i = self.rng.randrange(len(self.posts))
        if self.posts[i][0] in self.reposted:
            return None
        self.posts[i], self.posts[-1] = self.posts[-1], self.posts[i]
        ref, author = self.posts.pop()  # deleted once: later requests cannot name it
        return {"author_id": author, "post_ref": ref}

    def _GetPost(self, t: int, ordinal: int) -> Record:
        ref, _ = self.posts[self.rng.randrange(len(self.posts))]
        return {"post_ref": ref, "actor": self.graph.any_user(self.rng)}

    def _Repost(self, t: int, ordinal: int) -> Record | None:
        """Anyone shares a recent post (its author too, now and then: reposting one's own post is allowed);
        None while there is no post to name yet."""
        if not self.posts:
            return None
        ref, _ = self.posts[self.rng.randrange(len(self.posts))]
        reposter = self.graph.any_user(self.rng)
        if len(self.reposts) < REPOST_POOL_MAX:
            self.reposts.append((t, ordinal, reposter))
        self.reposted.pop(ref, None)  # re-inserted: the dict stays in order of time
        self.reposted[ref] = t
        return {"user_id": reposter, "post_ref": ref}

    def _Unrepost(self, t: int, ordinal: int) -> Record | None:
        """The oldest repost old enough to be answered, taken back by its reposter; None when there is none yet."""
        if not self.reposts or self.reposts[0][0] > t - MIN_REF_AGE_MS:
            return None
        _, ref, reposter = self.reposts.popleft()
        return {"user_id": reposter, "repost_ref": ref}

    def _Follow(self, t: int, ordinal: int) -> Record:
        follower = self.graph.any_user(self.rng)
        followee = self.graph.add_follow(self.rng, follower)
        if followee is None:  # follows everyone drawn already: a repeat follow, a no-op on the server
            followee = self.graph.user(0) if self.graph.rank(follower) else self.graph.user(1)
        return {"follower_id": follower, "followee_id": followee}

    def _Unfollow(self, t: int, ordinal: int) -> Record | None:
        edge = self.graph.remove_follow(self.rng)
        return None if edge is None else {"follower_id": edge[0], "followee_id": edge[1]}

    def _paged(self, rpc: str, t: int, pick: Callable[[random.Random], int]) -> Record:
        readers = self.paging.setdefault(rpc, deque())
        if readers and readers[0][0] <= t - MIN_REF_AGE_MS and self.rng.random() < self.p.page_next:
            _, user = readers.popleft()
            readers.append((t, user))  # may read yet another page later
            return {"user_id": user, "page_size": 20, "next": True}
        user = pick(self.rng)
        if len(readers) < PAGING_POOL_MAX:
            readers.append((t, user))
        return {"user_id": user, "page_size": 20}

    def _GetHomeTimeline(self, t: int, ordinal: int) -> Record:
        return self._paged("GetHomeTimeline", t, self.graph.any_user)

    def _GetUserTimeline(self, t: int, ordinal: int) -> Record:
        return self._paged("GetUserTimeline", t, self.graph.popular_user)

    def _ListFollowers(self, t: int, ordinal: int) -> Record:
        return self._paged("ListFollowers", t, self.graph.popular_user)

    def _ListFollowing(self, t: int, ordinal: int) -> Record:
        return self._paged("ListFollowing", t, self.graph.any_user)

    def _ListMyGroups(self, t: int, ordinal: int) -> Record:
        return self._paged("ListMyGroups", t, self.graph.any_user)

    def _CreateGroup(self, t: int, ordinal: int) -> Record:
        return self.book.create(t, ordinal)[1]

    def _JoinGroup(self, t: int, ordinal: int) -> Record | None:
        return self.book.draw_join(t)

    def _LeaveGroup(self, t: int, ordinal: int) -> Record | None:
        return self.book.draw_leave(t)

    def _GetGroup(self, t: int, ordinal: int) -> Record | None:
        group = self.book.any_group()
        user = self.book.reader(group, t)
        return None if user is None else {"group_ref": group.ref, "user_id": user}

    def _group_paged(self, rpc: str, t: int) -> Record | None:
        """A read of one group's list: a next page only while the reader may still read the group."""
        readers = self.group_paging.setdefault(rpc, deque())
        if readers and readers[0][0] <= t - MIN_REF_AGE_MS and self.rng.random() < self.p.page_next:
            _, user, group = readers.popleft()
            if self.book.may_read(group, user, t):
                readers.append((t, user, group))
                return {"group_ref": group.ref, "user_id": user, "page_size": 20, "next": True}
        group = self.book.any_group()
        user = self.book.reader(group, t)
        if user is None:
            return None
        if len(readers) < PAGING_POOL_MAX:
            readers.append((t, user, group))
        return {"group_ref": group.ref, "user_id": user, "page_size": 20}

    def _GetGroupTimeline(self, t: int, ordinal: int) -> Record | None:
        return self._group_paged("GetGroupTimeline", t)

    def _ListGroupMembers(self, t: int, ordinal: int) -> Record | None:
        return self._group_paged("ListGroupMembers", t)

    def _Mute(self, t: int, ordinal: int) -> Record:
        return self.quiet.mute(t)

    def _Unmute(self, t: int, ordinal: int) -> Record | None:
        return self.quiet.unmute(t)

    def _CreateFilter(self, t: int, ordinal: int) -> Record | None:
        return self.quiet.create_filter(t, ordinal)

    def _DeleteFilter(self, t: int, ordinal: int) -> Record | None:
        return self.quiet.delete_filter(t)


class Population:
    """The organizations' streams: each request goes to one, drawn by its share of the users."""

    def __init__(self, streams: list[Stream], rng: random.Random) -> None:
        self.streams, self.rng = streams, rng
        self._cum = list(itertools.accumulate(s.graph.users for s in streams))

    def build(self, rpc: str, t: int, ordinal: int) -> Record:
        if len(self.streams) == 1:  # no draw: one organization writes the bytes it wrote before organizations
            return self.streams[0].build(rpc, t, ordinal)
        return self.streams[bisect.bisect_right(self._cum, self.rng.random() * self._cum[-1])].build(rpc, t, ordinal)
