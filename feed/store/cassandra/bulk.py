"""Bulk loads in Cassandra: many rows as batches of concurrent prepared statements.

Not CQL BATCH: a logged batch over many partitions costs the coordinator more than
the same statements sent concurrently, each routed to its own replica. Statements of
one name go together through CassandraSession.execute_many (CONCURRENCY in flight).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from feed.store.cassandra.session import CassandraSession

T = TypeVar("T")
LOAD_CHUNK = 1000  # items a load holds in memory and in flight at once


def batches(items: Iterable[T], size: int = LOAD_CHUNK) -> Iterator[list[T]]:
    """items in lists of up to size, so a load streams rather than holding everything."""
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def run_grouped(db: CassandraSession, ops: Iterable[tuple[str, Sequence[Any]]]) -> None:
    """Run every (statement, parameters), those of one statement concurrently; wait for all."""
    by_name: dict[str, list[Sequence[Any]]] = defaultdict(list)
    for name, params in ops:
        by_name[name].append(params)
    for name, params_list in by_name.items():
        db.execute_many(name, params_list)
