"""Reposts: who shared which post, kept in the durable store (docs/reposts.md).

A repost has an id of its own, minted when it is made: that id is the entry timelines
hold, so the repost sits at the time of the repost. One repost per (reposter, post): a
second create answers the first. Records of a deleted original stay: the read path hides
them (the original does not hydrate) and the worker finds their entries through them.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable

from feed.store.outbox import OutboxEntry

Outbox = tuple[OutboxEntry, ...] | list[OutboxEntry]


@dataclasses.dataclass(frozen=True, slots=True)
class Repost:
    """reposter_id shared post_id; repost_id is the entry their followers' timelines hold."""

    repost_id: int
    reposter_id: int
    post_id: int
    org_id: int = 0
    create_time_ms: int = 0


class RepostStore(abc.ABC):
    """Repost records, by id, by reposter and by original post."""

    @abc.abstractmethod
    def create_repost(self, repost: Repost, outbox: Outbox = ()) -> tuple[Repost, bool]:
        """Store the repost with its outbox entries; the one stored before for the same (reposter, post)
        and False instead, with no entry recorded."""

    @abc.abstractmethod
    def find_repost(self, reposter_id: int, post_id: int) -> Repost | None:
        """The reposter's repost of post_id, if any."""

    @abc.abstractmethod
    def delete_repost(self, repost: Repost, outbox: Outbox = ()) -> None:
        """Delete the repost and record the entries, together (again after it is gone: the entries only)."""

    @abc.abstractmethod
    def get_reposts(self, repost_ids: Iterable[int]) -> dict[int, Repost]:
        """The reposts among these ids (post ids and unknown ids are absent)."""

    @abc.abstractmethod
    def reposts_of(self, post_id: int, limit: int) -> list[Repost]:
        """Up to limit reposts of one post, in no promised order."""

    @abc.abstractmethod
    def count_reposts(self, post_ids: Iterable[int]) -> dict[int, int]:
        """How many reposts each post has (0 for those without)."""

    @abc.abstractmethod
    def list_user_reposts(self, reposter_id: int, before_id: int | None, limit: int) -> list[Repost]:
        """Up to limit reposts of one user with ids below before_id (None: from the newest), newest first."""

    def purge_reposts(self, reposter_id: int, page: int = 1000) -> list[int]:
        """Erase the user's reposts (an organization's deletion), without events; the ids erased."""
        erased: list[int] = []
        while found := self.list_user_reposts(reposter_id, None, page):
            for repost in found:
                self.delete_repost(repost)
            erased += [r.repost_id for r in found]
        return erased

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
