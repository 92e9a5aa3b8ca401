"""Domain types shared by services, workers and stores: plain data, no I/O."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Post:
    """A post as stored. create_time_ms is milliseconds since the Unix epoch."""

    post_id: int
    author_id: int
    text: str
    create_time_ms: int
    group_id: int = 0  # the group it was posted in; 0: posted to the author's followers
    org_id: int = 0  # the author's organization


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One page of ids and the opaque token of the next page (None on the last)."""

    ids: list[int]
    next_token: str | None


OPEN = "open"  # group visibility: anyone in the organization sees, reads and joins it
PRIVATE = "private"  # only members see, read, post to and add others to it
REGULAR = "regular"  # group kind: created by a user
ANNOUNCEMENTS = "announcements"  # one per organization: every member, posts by its admins only


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """A group inside one organization."""

    group_id: int
    org_id: int
    name: str
    visibility: str  # OPEN or PRIVATE
    kind: str  # REGULAR or ANNOUNCEMENTS
    creator_id: int
    create_time_ms: int
