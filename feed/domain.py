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


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One page of ids and the opaque token of the next page (None on the last)."""

    ids: list[int]
    next_token: str | None
