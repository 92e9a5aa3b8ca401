"""Pipelines of function calls packed straight to RESP, for a standalone Redis.

A post to a thousand followers is about a thousand single-key calls (timelines are
spread over 1,024 hash-tagged shards and a call stays within one). Through redis-py's
pipeline each call costs about 7 us of Python (queueing, per-argument checks,
packing, per-reply parsing), more than Redis spends running it; here one
hiredis.pack_command per call and one read per reply cost about 2 us. A Redis
Cluster client goes through RedisFunctions.call_many, which routes by slot.

Same contract as RedisFunctions.call_many, by the same policy (RedisFunctions.send:
the library reloaded and the failed calls redone, every round trip timed, a Redis
that does not answer raised as Unavailable); only the transport differs: packed, on
the calling thread's own connection (feed/redis/held.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hiredis
import redis

from feed.redis.calls import Call
from feed.redis.connection import RedisFunctions
from feed.redis.held import held_connections

CHUNK_BYTES = 1 << 20  # sendall in pieces of about this size: bounded copies for big pipelines


class PackedCalls:
    """call_many for the fan-out hot path: packed by hiredis when the client is a standalone Redis."""

    def __init__(self, functions: RedisFunctions) -> None:
        self._fn = functions
        self._standalone = isinstance(functions.client, redis.Redis)
        self._held = held_connections(functions.client) if self._standalone else None

    def call_many(self, calls: Sequence[Call]) -> list[Any]:
        if not calls:
            return []
        if not self._standalone:
            return self._fn.call_many(calls)
        return self._fn.send(calls, self._round_trip)

    def _round_trip(self, calls: Sequence[Call]) -> list[Any]:
        """Send every call, then read every answer; an error answer takes its call's place."""
        return self._held.exchange(_pack(calls), len(calls))


def packed_command(client: Any, command: Sequence[Any]) -> Any:
    """One command packed by hiredis on this thread's connection to a standalone Redis (feed/redis/held.py):
    the read path's MGET costs a third of redis-py's execute_command this way. The caller times it
    (round_trip)."""
    (reply,) = held_connections(client).exchange([hiredis.pack_command(tuple(command))], 1)
    if isinstance(reply, redis.ResponseError):
        raise reply
    return reply


def _pack(calls: Sequence[Call]) -> list[bytes]:
    pieces: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for name, keys, args in calls:
        packed = hiredis.pack_command(("FCALL", name, len(keys), *keys, *args))
        chunk.append(packed)
        size += len(packed)
        if size >= CHUNK_BYTES:
            pieces.append(b"".join(chunk))
            chunk, size = [], 0
    if chunk:
        pieces.append(b"".join(chunk))
    return pieces
