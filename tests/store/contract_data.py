"""Fresh ids, posts and groups for the store contract suites."""

from __future__ import annotations

import random
import time

from feed.domain import OPEN, REGULAR, Group, Post
from feed.ids import IdGenerator

_ids = IdGenerator()


def new_user() -> int:
    return random.randrange(1, 1 << 62)


def new_post(author_id: int, text: str = "hello", group_id: int = 0, org_id: int = 0) -> Post:
    return Post(
        post_id=_ids.next_id(),
        author_id=author_id,
        text=text,
        create_time_ms=int(time.time() * 1000),
        group_id=group_id,
        org_id=org_id,
    )


def new_group(org_id: int, name: str = "team", visibility: str = OPEN, kind: str = REGULAR) -> Group:
    return Group(
        group_id=_ids.next_id(),
        org_id=org_id,
        name=name,
        visibility=visibility,
        kind=kind,
        creator_id=new_user(),
        create_time_ms=int(time.time() * 1000),
    )
