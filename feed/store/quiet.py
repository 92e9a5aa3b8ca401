"""Mutes and keyword filters: what a reader chose not to see, kept in the durable store.

Both are the reader's own and private, and both may expire: each row carries its
expiry in epoch milliseconds (None: until removed) and every read takes "now", so an
expired row is never answered whatever the backend's clean-up (a Cassandra TTL, or
none) has done yet. The read path loads a reader's whole active set at once
(feed/read/quiet.py), so active_* answer everything, not a page.
"""

from __future__ import annotations

import abc
import dataclasses


@dataclasses.dataclass(frozen=True)
class Mute:
    """muted_id's posts are hidden from the muter until expire_ms (None: until unmuted)."""

    muted_id: int
    expire_ms: int | None = None


@dataclasses.dataclass(frozen=True)
class KeywordFilter:
    """A phrase hidden from its user's timelines until expire_ms (None: until deleted)."""

    filter_id: int
    phrase: str
    whole_word: bool = False
    expire_ms: int | None = None


@dataclasses.dataclass(frozen=True)
class MutePage:
    """One page of a muter's active mutes and the opaque token of the next (None on the last)."""

    mutes: list[Mute]
    next_token: str | None


def active(expire_ms: int | None, now_ms: int) -> bool:
    """Whether a row with this expiry still holds at now_ms (it ends at expire_ms exactly)."""
    return expire_ms is None or expire_ms > now_ms


class QuietStore(abc.ABC):
    """Each user's mutes and keyword filters."""

    @abc.abstractmethod
    def mute(self, muter_id: int, mute: Mute) -> None:
        """Mute, replacing an earlier mute of the same user (and its expiry)."""

    @abc.abstractmethod
    def unmute(self, muter_id: int, muted_id: int) -> bool:
        """End a mute; True if there was a row (active or not)."""

    @abc.abstractmethod
    def list_mutes(self, muter_id: int, now_ms: int, page_size: int, page_token: str | None = None) -> MutePage:
        """One page of the mutes active at now_ms, by muted id; a page may be shorter than asked (expired rows
        skipped) and next_token None ends the walk."""

    @abc.abstractmethod
    def active_mutes(self, muter_id: int, now_ms: int) -> list[Mute]:
        """Every mute of muter_id active at now_ms."""

    @abc.abstractmethod
    def add_filter(self, user_id: int, keyword_filter: KeywordFilter) -> None:
        """Store a filter (again with the same one: no change)."""

    @abc.abstractmethod
    def remove_filter(self, user_id: int, filter_id: int) -> bool:
        """Delete one of the user's filters; True if the user had it (another user's id: False)."""

    @abc.abstractmethod
    def active_filters(self, user_id: int, now_ms: int) -> list[KeywordFilter]:
        """Every filter of the user active at now_ms, by filter id (the oldest first)."""

    def active_quiet(self, user_id: int, now_ms: int) -> tuple[list[Mute], list[KeywordFilter]]:
        """Both of the user's active sets at now_ms, as one call (what a page's read path loads)."""
        return self.active_mutes(user_id, now_ms), self.active_filters(user_id, now_ms)

    @abc.abstractmethod
    def purge_quiet(self, user_id: int) -> None:
        """Erase the user's mutes and filters (an organization's deletion)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
