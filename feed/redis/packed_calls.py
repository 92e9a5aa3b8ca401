"""Pipelines of function calls packed straight to RESP, for a standalone Redis.

A post to a thousand followers is about a thousand single-key calls (timelines are
spread over 1,024 hash-tagged shards and a call stays within one). Through redis-py's
pipeline each call costs about 7 us of Python (queueing, per-argument checks,
packing, per-reply parsing), more than Redis spends running it; here one
hiredis.pack_command per call and one read per reply cost about 2 us. A Redis
Cluster client goes through RedisFunctions.call_many, which routes by slot.

Same contract as RedisFunctions.call_many: answers in call order, the library
reloaded and the failed calls redone when Redis lost it (every call is
idempotent), any other error raised, every round trip timed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hiredis
import redis

from feed.redis.connection import RedisFunctions, redis_timer

Call = tuple[str, list[str], list[Any]]
CHUNK_BYTES = 1 << 20  # sendall in pieces of about this size: bounded copies for big pipelines


class PackedCalls:
    """call_many for the fan-out hot path: packed by hiredis when the client is a standalone Redis."""

    def __init__(self, functions: RedisFunctions) -> None:
        self._fn = functions
        self._standalone = isinstance(functions.client, redis.Redis)
        self._loaded = False

    def call_many(self, calls: Sequence[Call]) -> list[Any]:
        if not calls:
            return []
        if not self._standalone:
            return self._fn.call_many(list(calls))
        if not self._loaded:
            self._fn.load()
            self._loaded = True
        replies = self._round_trip(calls)
        missing = [i for i, reply in enumerate(replies) if _function_missing(reply)]
        if missing:
            self._fn.load()  # Redis restarted empty or failed over: every call here is idempotent
            for i, reply in zip(missing, self._round_trip([calls[i] for i in missing]), strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    def _round_trip(self, calls: Sequence[Call]) -> list[Any]:
        """Send every call, then read every answer; an error answer takes its call's place."""
        pool = self._fn.client.connection_pool
        conn = pool.get_connection()
        try:
            with redis_timer(_operation(calls)):
                conn.send_packed_command(_pack(calls))
                replies: list[Any] = []
                for _ in calls:
                    try:
                        replies.append(conn.read_response())
                    except redis.ResponseError as exc:  # raised once its reply is read: the stream stays in step
                        replies.append(exc)
            return replies
        except BaseException:
            conn.disconnect()  # answers may be left unread: never hand this connection out again as is
            raise
        finally:
            pool.release(conn)


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


def _operation(calls: Sequence[Call]) -> str:
    """The metric label: the function name when all calls share one (as RedisFunctions labels them)."""
    names = {name for name, _, _ in calls}
    return names.pop() if len(names) == 1 else "pipeline"


def _function_missing(reply: Any) -> bool:
    return isinstance(reply, redis.ResponseError) and "Function not found" in str(reply)
