"""Follow edges and blocks between two users of one organization."""

from __future__ import annotations

from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RelationshipVersions
from feed.actions.sink import EventSink
from feed.errors import FailedPrecondition, InvalidArgument
from feed.events import Followed, Unfollowed
from feed.ids import require_id
from feed.store.base import GraphStore


class GraphActions:
    """Follow, Unfollow, Block, Unblock: each acted by the first user of the pair on the second.

    Each sets a new relationship version (feed/access/versions.py) for every user whose
    follows or blocks it changed, after the store's commit and before it answers, so that
    no read service trusts facts it kept from before the change (feed/read/guard_cache.py)."""

    def __init__(
        self,
        graph: GraphStore,
        orgs: OrgDirectory,
        limiter: RedisRateLimiter,
        sink: EventSink,
        versions: RelationshipVersions,
    ) -> None:
        self._graph = graph
        self._orgs = orgs
        self._limiter = limiter
        self._sink = sink
        self._versions = versions

    def follow(self, caller: Principal, follower_id: int, followee_id: int) -> None:
        """Follow, unless a block stands between the two either way."""
        follower, followee, ours = self._admit(caller, follower_id, followee_id, "follower_id", "followee_id")
        self._refuse_if_blocked(follower, followee)
        # An id of another organization has nothing here to backfill (its posts are not ours): no event.
        # One never seen has no posts yet; its event is the usual one, as if it were ours.
        foreign = not ours and self._orgs.org_of(followee) is not None
        events = [] if foreign else [self._sink.entry(Followed(follower, followee, caller.org_id))]
        self._graph.follow(follower, followee, events)
        self._sink.recorded()
        self._versions.bump([follower], caller.org_id)
        # A block may have landed between the check and the write: look again, and undo.
        if self._blocked_either_way(follower, followee):
            self._graph.unfollow(follower, followee, [self._sink.entry(Unfollowed(follower, followee, caller.org_id))])
            self._sink.recorded()
            self._versions.bump([follower], caller.org_id)
            self._refuse_if_blocked(follower, followee)

    def unfollow(self, caller: Principal, follower_id: int, followee_id: int) -> None:
        follower, followee, _ = self._admit(caller, follower_id, followee_id, "follower_id", "followee_id")
        self._graph.unfollow(follower, followee, [self._sink.entry(Unfollowed(follower, followee, caller.org_id))])
        self._sink.recorded()
        self._versions.bump([follower], caller.org_id)

    def block(self, caller: Principal, blocker_id: int, blocked_id: int) -> None:
        """Block, and remove the follow edges both ways: one store change, with both Unfollowed
        events, so no failure leaves an edge that fan-out keeps using. A retry does it all again."""
        blocker, blocked, _ = self._admit(caller, blocker_id, blocked_id, "blocker_id", "blocked_id")
        # A Follow racing this one re-checks for the block after its own write.
        pairs = ((blocker, blocked), (blocked, blocker))
        self._graph.block(blocker, blocked, [self._sink.entry(Unfollowed(a, b, caller.org_id)) for a, b in pairs])
        self._sink.recorded()
        self._versions.bump(pairs[0], caller.org_id)  # both: a block hides each from the other

    def unblock(self, caller: Principal, blocker_id: int, blocked_id: int) -> None:
        blocker, blocked, _ = self._admit(caller, blocker_id, blocked_id, "blocker_id", "blocked_id")
        self._graph.unblock(blocker, blocked)  # follows removed by the block stay removed
        self._versions.bump([blocker, blocked], caller.org_id)

    def _admit(self, caller: Principal, actor_id: int, other_id: int, actor: str, other: str) -> tuple[int, int, bool]:
        """The (actor, other) pair of a request the actor makes, within the actor's rate limit, and
        whether the other is of the caller's organization (in the default one it may be an id that
        is not, answered alike: feed/access/orgs.py). Nothing is bound or changed before the limit."""
        first, second = require_id(actor_id, actor), require_id(other_id, other)
        if first == second:
            raise InvalidArgument(f"{actor} and {other} must be different users")
        caller = caller.acting_as(first, actor)
        ours = self._orgs.require_user(second, caller)
        self._limiter.take(first)
        return first, second, ours

    def _blocked_either_way(self, a: int, b: int) -> bool:
        return self._graph.is_blocked(a, b) or self._graph.is_blocked(b, a)

    def _refuse_if_blocked(self, follower: int, followee: int) -> None:
        if self._graph.is_blocked(followee, follower):
            raise FailedPrecondition("this user has blocked you; you cannot follow them")
        if self._graph.is_blocked(follower, followee):
            raise FailedPrecondition("you have blocked this user; unblock them before following")
