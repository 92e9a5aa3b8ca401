"""Home timelines in Redis: the paired verbs push/remove, merge, page and rebuild.

All list logic runs server side (feed/redis/lua/feed.lua); this module only groups
work into few round trips. Deliveries go out as tl_fanout calls of one shard
each (feed/timeline/audience.py): a post id with the many keys it goes to, in pipelines
of bounded size. A read's first round trip carries the timeline page and the
organization's directory of read-time sources together, and on a standalone
Redis the cached posts of the page's ids too (feed.lua tl_page_posts).
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import redis
from redis.exceptions import RedisClusterException

from feed.domain import Source
from feed.errors import Unavailable
from feed.redis.calls import OptionalCall, Rider, round_trip
from feed.redis.connection import RedisFunctions
from feed.redis.keys import TIMELINE_SLACK, home_timeline_key, timeline_shard
from feed.redis.packed_calls import PackedCalls
from feed.timeline.audience import KEYS_PER_CALL, Audience, fanout_calls, repost_calls
from feed.timeline.page import (
    GOES_ON_ARG,
    POST_KEY_PREFIX,
    WITH_POSTS,
    TimelinePage,
    parse_page,
    parse_page_with_posts,
    window_of,
)
from feed.timeline.sources import ReadTimeSources, RedisReadTimeSources

# A rebuild that crashed frees the timeline after this; a live one gives up earlier
# (feed/timeline/rebuild.py REBUILD_DEADLINE_S), since past it its claim may be gone.
REBUILD_MARK_TTL_S = 30
# Pipelines of one fan-out in flight at once, each on its own connection: while Redis runs
# one, the client packs the next, so neither waits for the other.
PIPELINES_IN_FLIGHT = 2


class TimelineStore(Protocol):
    """Home timelines: bounded lists of post ids, newest first, one per user and organization.

    What the fan-out (push, remove, merge) and the read path (page, rebuild) need of them.
    RedisTimelineStore is the backend; tests use an in-memory double that passes the same
    contract (tests/timeline/contract.py)."""

    max_entries: int

    def fan_out(self, posts: Sequence[tuple[int, Audience]], progress: Callable[[], None] | None = None) -> int: ...
    def fan_out_reposts(self, reposts: Sequence[tuple[int, int, Audience]]) -> int: ...
    def push(self, deliveries: Iterable[tuple[int, int]], org_id: int = 0) -> int: ...
    def remove(self, user_ids: Iterable[int], post_ids: Sequence[int], org_id: int = 0) -> int: ...
    def merge(self, user_id: int, post_ids: Sequence[int], org_id: int = 0) -> bool: ...
    def page(
        self, user_id: int, before_id: int | None, count: int, org_id: int = 0, after_id: int | None = None
    ) -> TimelinePage: ...
    def page_with_sources(
        self,
        read_time: ReadTimeSources,
        user_id: int,
        before_id: int | None,
        count: int,
        org_id: int = 0,
        riders: Sequence[Rider] = (),
        after_id: int | None = None,
    ) -> tuple[TimelinePage, frozenset[Source]]: ...
    def begin_rebuild(self, user_id: int, org_id: int = 0) -> str | None: ...
    def finish_rebuild(
        self, user_id: int, post_ids: Sequence[int], complete: bool, org_id: int = 0, token: str | None = None
    ) -> int | None: ...
    def abandon_rebuild(self, user_id: int, token: str, org_id: int = 0) -> bool: ...
    def drop(self, user_id: int, org_id: int = 0) -> None: ...


class RedisTimelineStore:
    """Home timelines as bounded Redis lists of post ids, newest first."""

    def __init__(self, functions: RedisFunctions, max_entries: int, ttl_s: int = 0) -> None:
        self._fn = functions
        self._packed = PackedCalls(functions)  # the fan-out hot path's round trips
        self._cluster = not isinstance(functions.client, redis.Redis)
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._senders: ThreadPoolExecutor | None = None
        self._senders_lock = threading.Lock()

    def fan_out(self, posts: Sequence[tuple[int, Audience]], progress: Callable[[], None] | None = None) -> int:
        """Insert each post id into its audience's materialized timelines; return how many landed.

        Timelines not in Redis are skipped: their owner's next read rebuilds them
        from the durable store, which already has the post. A fan-out of one
        pipeline runs in the caller's thread (no hand-off: the latency of a small
        batch); a longer one keeps PIPELINES_IN_FLIGHT pipelines running. progress()
        is called in the caller's thread after each round trip ends, so a long
        batch can keep its consumer alive.
        """
        pipelines = fanout_calls(posts, self.max_entries, TIMELINE_SLACK)
        first = next(pipelines, None)
        if first is None:
            return 0
        second = next(pipelines, None)
        send = self._packed.call_many
        if second is None:
            return _landed(send(first))
        senders = self._sender_pool()
        in_flight: deque[Future] = deque([senders.submit(send, first)])
        in_flight.append(senders.submit(send, second))
        landed = 0
        try:
            for pipeline in pipelines:
                landed += _landed(in_flight.popleft().result())
                if progress is not None:
                    progress()
                in_flight.append(senders.submit(send, pipeline))
            while in_flight:
                landed += _landed(in_flight.popleft().result())
        finally:
            for future in in_flight:  # after a failure: nothing of this batch still running when it is retried
                future.cancel() or future.exception()
        return landed

    def _sender_pool(self) -> ThreadPoolExecutor:
        with self._senders_lock:
            if self._senders is None:
                self._senders = ThreadPoolExecutor(PIPELINES_IN_FLIGHT, thread_name_prefix="fanout-send")
            return self._senders

    def fan_out_reposts(self, reposts: Sequence[tuple[int, int, Audience]]) -> int:
        """Insert each (repost id, original id) into its audience's materialized timelines, except where the
        original or a repost of it is among the newest entries (feed.lua tl_repost); return how many landed."""
        calls = repost_calls(reposts, self.max_entries, TIMELINE_SLACK)
        return sum(self._fn.call_many(calls)) if calls else 0

    def push(self, deliveries: Iterable[tuple[int, int]], org_id: int = 0) -> int:
        """Insert (user_id, post_id) pairs into materialized timelines; return how many landed."""
        by_post: dict[int, list[int]] = defaultdict(list)
        for user_id, post_id in deliveries:
            by_post[post_id].append(user_id)
        return self.fan_out([(post_id, Audience(users, org_id)) for post_id, users in by_post.items()])

    def remove(self, user_ids: Iterable[int], post_ids: Sequence[int], org_id: int = 0) -> int:
        """Remove post_ids from the timelines of user_ids; return how many entries went."""
        if not post_ids:
            return 0
        by_shard: dict[int, list[str]] = defaultdict(list)
        for user_id in user_ids:
            by_shard[timeline_shard(user_id)].append(home_timeline_key(user_id, org_id))
        calls = []
        for keys in by_shard.values():
            for start in range(0, len(keys), KEYS_PER_CALL):
                calls.append(("tl_remove", keys[start : start + KEYS_PER_CALL], list(post_ids)))
        return sum(self._fn.call_many(calls))

    def merge(self, user_id: int, post_ids: Sequence[int], org_id: int = 0) -> bool:
        """Merge post_ids into one materialized timeline (a follow's or a join's backfill)."""
        if not post_ids:
            return False
        key = home_timeline_key(user_id, org_id)
        return bool(self._fn.call("tl_merge", [key], [self.max_entries, *post_ids]))

    def page_call(
        self,
        user_id: int,
        before_id: int | None,
        count: int,
        org_id: int = 0,
        after_id: int | None = None,
        with_posts: bool = False,
    ) -> tuple[str, list[str], list]:
        """The call reading up to count ids older than before_id (tl_page), or, given after_id, the count ids
        just above it (tl_newer); either refreshes the TTL. with_posts: the variant that also reads the
        post-cache entries of those ids (tl_page_posts, tl_newer_posts: a standalone Redis only)."""
        name, cursor = window_of(before_id, after_id)
        args = [cursor, count, self.max_entries, self.ttl_s, GOES_ON_ARG]
        if with_posts:
            return (name + WITH_POSTS, [home_timeline_key(user_id, org_id)], [*args, POST_KEY_PREFIX])
        return (name, [home_timeline_key(user_id, org_id)], args)

    def page(
        self, user_id: int, before_id: int | None, count: int, org_id: int = 0, after_id: int | None = None
    ) -> TimelinePage:
        """Up to count ids older than before_id (newest when None), or the count ids just above after_id
        when given (the oldest of the newer ones); newest first either way. Refreshes the TTL."""
        name, keys, args = self.page_call(user_id, before_id, count, org_id, after_id)
        return parse_page(self._fn.call(name, keys, args))

    def page_with_sources(
        self,
        read_time: RedisReadTimeSources,
        user_id: int,
        before_id: int | None,
        count: int,
        org_id: int = 0,
        riders: Sequence[Rider] = (),
        after_id: int | None = None,
    ) -> tuple[TimelinePage, frozenset[Source]]:
        """A home timeline page (older than before_id, or just above after_id: see page()) and the
        organization's current read-time sources, in one pipelined round trip, with the riders' calls in
        it too (the reader's rate-limit budget, their relationship version, read-time lists), settled
        before anything else: a refused page is never used.

        The keys live in different hash slots, so they are separate calls; pipelined,
        they cost one round trip (on a cluster, one per node, sent together). read_time
        is the Redis backend's too: its directory copy is refreshed by this round trip.
        A rider of an OptionalCall gets its error answer instead of failing the page.
        On a standalone Redis the page also brings the post-cache entries of its ids
        (TimelinePage.cached), so that hydrating them needs no round trip of its own; a
        cluster keeps post keys in other slots, where a function must not read them.
        """
        directory = read_time.directory_of(org_id)
        with_posts = not self._cluster
        home = self.page_call(user_id, before_id, count, org_id, after_id, with_posts)
        replies = self._with_riders([home, directory.call()], riders)
        page = parse_page_with_posts(replies[0]) if with_posts else parse_page(replies[0])
        return page, directory.absorb(replies[1])

    def _with_riders(self, calls: list, riders: Sequence[Rider]) -> list[Any]:
        """The calls' replies, their riders settled, in one round trip."""
        try:
            replies = self._packed.call_many([*calls, *(r.call() for r in riders)])
        except (Unavailable, redis.RedisError, RedisClusterException):
            required = [r for r in riders if not isinstance(r.call(), OptionalCall)]
            if not self._cluster or len(required) == len(riders):
                raise
            # A cluster node of an optional rider did not answer (a standalone Redis is one node: nothing to
            # gain): once more without them, left unsettled (the caller reads them alone, failing open). The
            # budget rides again: while a node is down it may be spent twice.
            riders = required
            replies = self._packed.call_many([*calls, *(r.call() for r in riders)])
        for rider, reply in zip(riders, replies[len(calls) :], strict=True):
            rider.settle(reply)
        return replies

    def begin_rebuild(self, user_id: int, org_id: int = 0) -> str | None:
        """Claim a missing timeline for rebuilding: the claim's token, or None if it exists or is claimed."""
        token = secrets.token_hex(8)
        key = home_timeline_key(user_id, org_id)
        return token if self._fn.call("tl_begin_rebuild", [key], [REBUILD_MARK_TTL_S, token]) else None

    def finish_rebuild(
        self, user_id: int, post_ids: Sequence[int], complete: bool, org_id: int = 0, token: str | None = None
    ) -> int | None:
        """Install a rebuilt timeline, merged with whatever was pushed meanwhile; its length.

        None, and nothing written, when the claim of that token is gone (its mark
        expired, so fan-out skipped the missing list, or a later claim replaced
        it): the next read rebuilds. Without a token, finishes any claim in progress.
        """
        key = home_timeline_key(user_id, org_id)
        args = [self.max_entries, self.ttl_s, 1 if complete else 0, *post_ids]
        if token is None:
            written = int(self._fn.call("tl_finish_rebuild", [key], args))
        else:
            written = int(self._fn.call("tl_finish_claim", [key], [token, *args]))
        return None if written < 0 else written

    def abandon_rebuild(self, user_id: int, token: str, org_id: int = 0) -> bool:
        """Give a claimed rebuild up (the next read claims it again); another caller's claim is left alone."""
        return bool(self._fn.call("tl_abandon_rebuild", [home_timeline_key(user_id, org_id)], [token]))

    def drop(self, user_id: int, org_id: int = 0) -> None:
        """Forget a timeline (tests and operators); the next read rebuilds it."""
        with round_trip("timeline_drop"):
            self._fn.client.delete(home_timeline_key(user_id, org_id))


def _landed(replies: list) -> int:
    return sum(int(n) for n in replies)
