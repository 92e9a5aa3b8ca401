"""Mutes and keyword filters: what a reader chooses not to see, for a while or until undone.

Both only change what the read path shows the reader (feed/read/quiet.py), never what
fan-out writes, so nothing is published: the store change, then a new relationship
version for the reader (feed/access/versions.py), after the commit and before the
answer, so that every read service drops the facts it kept and the very next page
(and the stream's next read) applies the change, to posts already in the timeline too.
Private: nothing here touches the muted user or anything they can read.
"""

from __future__ import annotations

from collections.abc import Callable

from feed.access.orgs import OrgDirectory
from feed.access.rate_limit import RedisRateLimiter
from feed.access.tokens import Principal
from feed.access.versions import RelationshipVersions
from feed.errors import InvalidArgument, NotFound
from feed.ids import IdGenerator, require_id
from feed.page_tokens import unwrap_store_token, wrap_store_token
from feed.store.quiet import KeywordFilter, Mute, MutePage, QuietStore
from feed.validate import page_size

MAX_DURATION_S = 10 * 365 * 86_400  # a mute or filter lasts at most 10 years (0: until undone)
MAX_FILTERS = 100  # active filters per user: the read path compiles them into one pattern per reader
MAX_MUTES = 5_000  # active mutes per user: the read path keeps a reader's whole set in memory
MAX_PHRASE_CHARS = 100  # characters of a phrase, after trimming
MUTES_PAGE_DEFAULT = 50
MUTES_PAGE_MAX = 1000


def expiry_ms(duration_s: int, now: int) -> int | None:
    """When something lasting duration_s from now ends (None: 0, until undone); InvalidArgument past the bounds."""
    if not 0 <= duration_s <= MAX_DURATION_S:
        raise InvalidArgument(f"duration_s must be between 0 and {MAX_DURATION_S} (10 years), got {duration_s}")
    return None if duration_s == 0 else now + duration_s * 1000


def require_phrase(phrase: str) -> str:
    """The phrase trimmed, of 1 to MAX_PHRASE_CHARS characters."""
    trimmed = phrase.strip()
    if not 1 <= len(trimmed) <= MAX_PHRASE_CHARS:
        raise InvalidArgument(f"phrase must be 1 to {MAX_PHRASE_CHARS} characters after trimming, got {len(trimmed)}")
    return trimmed


class QuietActions:
    """Mute, Unmute, ListMutes, CreateFilter, DeleteFilter, ListFilters: each the caller's own."""

    def __init__(
        self,
        quiet: QuietStore,
        orgs: OrgDirectory,
        limiter: RedisRateLimiter,
        versions: RelationshipVersions,
        ids: IdGenerator,
        clock: Callable[[], int],
    ) -> None:
        self._quiet = quiet
        self._orgs = orgs
        self._limiter = limiter
        self._versions = versions
        self._ids = ids
        self._clock = clock

    def mute(self, caller: Principal, muter_id: int, muted_id: int, duration_s: int) -> None:
        """Mute (again: the new duration replaces the old); an id of another organization, or never seen,
        is answered as Follow answers it (feed/access/orgs.py), and never bound."""
        muter, muted = self._pair(caller, muter_id, muted_id)
        now = self._clock()
        expire = expiry_ms(duration_s, now)
        self._limiter.take(muter)
        mutes = self._quiet.active_mutes(muter, now)
        if len(mutes) >= MAX_MUTES and all(m.muted_id != muted for m in mutes):  # racing mutes may pass a few over
            raise InvalidArgument(f"at most {MAX_MUTES} active mutes per user; unmute someone first")
        self._quiet.mute(muter, Mute(muted, expire))
        self._versions.bump([muter], caller.org_id)

    def unmute(self, caller: Principal, muter_id: int, muted_id: int) -> None:
        muter, muted = self._pair(caller, muter_id, muted_id)
        self._limiter.take(muter)
        self._quiet.unmute(muter, muted)
        self._versions.bump([muter], caller.org_id)

    def list_mutes(self, caller: Principal, user_id: int, size: int, token: str) -> MutePage:
        """One page of the caller's active mutes with their expiries, by muted id; its token wrapped."""
        user = self._actor(caller, user_id, "user_id")
        size = page_size(size, MUTES_PAGE_DEFAULT, MUTES_PAGE_MAX)
        self._limiter.take(user)
        page = self._quiet.list_mutes(user, self._clock(), size, unwrap_store_token(token))
        return MutePage(page.mutes, wrap_store_token(page.next_token))

    def create_filter(
        self, caller: Principal, user_id: int, phrase: str, whole_word: bool, duration_s: int
    ) -> KeywordFilter:
        user = self._actor(caller, user_id, "user_id")
        trimmed = require_phrase(phrase)
        now = self._clock()
        expire = expiry_ms(duration_s, now)
        self._limiter.take(user)
        # Two creates racing past this count can leave a few more than MAX_FILTERS: the bound is on cost.
        if len(self._quiet.active_filters(user, now)) >= MAX_FILTERS:
            raise InvalidArgument(f"at most {MAX_FILTERS} active filters per user; delete one first")
        created = KeywordFilter(self._ids.next_id(), trimmed, whole_word, expire)
        self._quiet.add_filter(user, created)
        self._versions.bump([user], caller.org_id)
        return created

    def delete_filter(self, caller: Principal, user_id: int, filter_id: int) -> None:
        """Delete one of the caller's filters; NOT_FOUND alike for an unknown id and another user's."""
        user = self._actor(caller, user_id, "user_id")
        wanted = require_id(filter_id, "filter_id")
        self._limiter.take(user)
        if not self._quiet.remove_filter(user, wanted):
            raise NotFound(f"filter {wanted} not found")
        self._versions.bump([user], caller.org_id)

    def list_filters(self, caller: Principal, user_id: int) -> list[KeywordFilter]:
        user = self._actor(caller, user_id, "user_id")
        self._limiter.take(user)
        return self._quiet.active_filters(user, self._clock())

    def _actor(self, caller: Principal, user_id: int, field: str) -> int:
        user = require_id(user_id, field)
        caller.acting_as(user, field)
        return user

    def _pair(self, caller: Principal, muter_id: int, muted_id: int) -> tuple[int, int]:
        muter, muted = self._actor(caller, muter_id, "muter_id"), require_id(muted_id, "muted_id")
        if muter == muted:
            raise InvalidArgument("muter_id and muted_id must be different users")
        self._orgs.require_user(muted, caller)  # NotFound outside the default organization, and binds nothing
        return muter, muted
