"""Every reader's first page on every read replica, before a measured read load.

A reader's first page in a read process costs about twice a warm one (the follow guard's facts,
the mutes and filters, the relationship version: four store queries and three more round trips
than a warm page), and the process keeps them for the pages after. The read figures are for the
steady state, so each measured load starts with every one of its readers warm on every replica:
a random warm-up leaves a reader a replica never served (about one pair in seven for 4 random
reads per pair), whose first page then lands in the measurement.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import grpc

from feed.bench.channels import feed_stub, keys_of
from feed.loadkit.tokens import TokenProvider
from feed.v1 import feed_service_pb2

PAGE_SIZE = 20  # the load generator's (feed/bench/loadgen.py)
WARM_TIMEOUT_S = 60.0
IN_FLIGHT = 200  # calls in flight at a time


def first_pages(base: dict[str, Any], readers: list[int]) -> dict[int, list[int]]:
    """Each reader's first page on every read replica (reader -> its ids, the same on all); raises
    when a call fails or two replicas disagree. Loads the guard facts of every reader on every replica."""
    tokens = TokenProvider(keys_of(base["secret_file"]), issued_at=base["tokens_issued_at"])
    pages: dict[int, list[int]] = {}
    for addr in base["read_addrs"]:
        channel, stub = feed_stub([addr])
        try:
            for reader, ids in _pages(stub, tokens, readers):
                if pages.setdefault(reader, ids) != ids:
                    raise RuntimeError(f"reader {reader}'s first page differs between read replicas")
        finally:
            channel.close()
    return pages


def _pages(stub, tokens: TokenProvider, readers: list[int]) -> Iterator[tuple[int, list[int]]]:
    """Every reader's first page, IN_FLIGHT calls at a time."""
    for start in range(0, len(readers), IN_FLIGHT):
        batch = readers[start : start + IN_FLIGHT]
        futures: list[Future] = [
            stub.GetHomeTimeline.future(
                feed_service_pb2.GetHomeTimelineRequest(user_id=r, page_size=PAGE_SIZE),
                timeout=WARM_TIMEOUT_S,
                metadata=tokens.metadata(r),
            )
            for r in batch
        ]
        for reader, future in zip(batch, futures, strict=True):
            try:
                yield reader, [p.post_id for p in future.result().posts]
            except grpc.RpcError as err:
                raise RuntimeError(f"reader {reader}'s first page failed: {err.code().name}") from None
