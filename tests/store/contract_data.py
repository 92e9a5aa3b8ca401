"""Fresh ids, posts and groups for the store contract suites, and races of calls."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

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


def _race(calls: int, call):
    """call(i) from `calls` threads released together; their answers in order."""
    barrier = threading.Barrier(calls)

    def run(i: int):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(run, range(calls)))
