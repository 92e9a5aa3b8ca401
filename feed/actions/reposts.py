"""Reposting and unreposting: share a post with one's followers, or take that back (docs/reposts.md).

A repost is stored with its event (the outbox) like a post: the worker fans it out to the
reposter's audience, where it appears as the original post with its reposter. Both calls
are idempotent: a second Repost answers the first repost and records nothing; an Unrepost
of nothing does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.actions.sink import EventSink
from feed.domain import Post
from feed.events import Reposted, Unreposted
from feed.ids import IdGenerator, require_id
from feed.redis.post_cache import PostCache
from feed.store.reposts import Repost, RepostStore

log = logging.getLogger("feed.write")
# The original post as the caller may see it; NotFound alike for unknown, deleted, other
# organization, private group, or a block either way (feed/read/lookups.py Lookups.shareable).
Shareable = Callable[[Principal, int], Post]


class RepostActions:
    """Repost and Unrepost: validate, rate limit, check the original is the caller's to see, store with the event."""

    def __init__(
        self,
        reposts: RepostStore,
        shareable: Shareable,
        cache: PostCache,
        limiter: RedisRateLimiter,
        sink: EventSink,
        ids: IdGenerator,
        clock: Callable[[], int],
    ) -> None:
        self._reposts = reposts
        self._shareable = shareable
        self._cache = cache
        self._limiter = limiter
        self._sink = sink
        self._ids = ids
        self._clock = clock

    def repost(self, caller: Principal, user_id: int, post_id: int) -> Post:
        """The original post as reposted by the caller (new, or the repost made before)."""
        user = require_id(user_id, "user_id")
        post_id = require_id(post_id, "post_id")
        caller = caller.acting_as(user, "user_id")
        self._limiter.take(user)
        original = self._shareable(caller, post_id)
        candidate = Repost(self._ids.next_id(), user, post_id, caller.org_id, self._clock())
        event = Reposted(candidate.repost_id, user, post_id, caller.org_id)
        repost, created = self._reposts.create_repost(
            candidate, [self._sink.entry(event, f"reposted-{candidate.repost_id}")]
        )
        if created:
            self._sink.recorded()
            self._cache.forget(post_id)  # its cached repost_count is stale: the next read loads it again
        count = self._reposts.count_reposts([post_id]).get(post_id, 0)
        log.info("reposted", extra={"post_id": post_id, "user_id": user, "new": created})
        return dataclasses.replace(
            original, post_id=repost.repost_id, repost_of=post_id, reposted_by=user, repost_count=count
        )

    def unrepost(self, caller: Principal, user_id: int, post_id: int) -> None:
        """Take the caller's repost of post_id back; nothing to take back answers the same."""
        user = require_id(user_id, "user_id")
        post_id = require_id(post_id, "post_id")
        caller = caller.acting_as(user, "user_id")
        self._limiter.take(user)
        repost = self._reposts.find_repost(user, post_id)
        if repost is None or repost.org_id != caller.org_id:
            return
        event = Unreposted(repost.repost_id, user, post_id, repost.org_id)
        self._reposts.delete_repost(repost, [self._sink.entry(event, f"unreposted-{repost.repost_id}")])
        self._sink.recorded()
        # Reads stop showing it now, not when the worker gets the event.
        self._cache.mark_deleted(repost.repost_id)
        self._cache.forget(post_id)
        log.info("unreposted", extra={"post_id": post_id, "user_id": user})
