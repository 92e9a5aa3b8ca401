"""Each thread's own connection to a standalone Redis, for the packed round trips: no checkout from the pool.

redis-py's pool lends a connection for every command, under a lock, with bookkeeping out and back:
about 40% of a round trip's client CPU (a PING on one thread: 23 us through the pool, 14 us on a held
connection; 8 threads at once: 43 us and 30 us). The read path makes two packed round trips a page
(PackedCalls, packed_command), the fan-out worker's senders one a pipeline; so each thread keeps one
connection per client for them. It is made as the client's pool makes its own (same class and
arguments: address, auth, TLS, db, timeouts, health checks, the hiredis parser) and asked before each
use, as the pool asks (a poll, about 1 us), whether Redis closed it meanwhile (a restart, an idle
timeout): only a call in flight can meet a Redis that went away.

Bounded: one connection per thread per client, and the threads that use them are bounded (gRPC
handler threads, rebuild threads, the worker's senders). Not counted in the pool's max_connections:
make_connection counts what it makes and only a release gives the count back, so threads that come
and go would use it up. A thread's connection closes when the thread ends (its thread-local goes
and redis-py's Connection disconnects when collected), all of a client's when the client is
collected. client.close() knows only its pool's connections; no service closes its Redis client
before it exits.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import AbstractConnection


class HeldConnections:
    """One redis-py connection per thread to the Redis of one client, used without checkout."""

    def __init__(self, client: redis.Redis) -> None:
        self._pool = client.connection_pool
        self._local = threading.local()

    def exchange(self, pieces: Sequence[bytes], answers: int) -> list[Any]:
        """Send the packed pieces, then read that many answers; an error answer takes its command's place.

        An error answer (ResponseError, raised once its reply is read) leaves the connection in step.
        Anything else that stops the exchange (a timeout, a reset, KeyboardInterrupt) may leave answers
        unread on it: it is dropped, so the next call on this thread reconnects instead of reading them.
        """
        conn = self._ready()
        try:
            conn.send_packed_command(pieces)
            replies: list[Any] = []
            for _ in range(answers):
                try:
                    replies.append(conn.read_response())
                except redis.ResponseError as exc:
                    replies.append(exc)
            return replies
        except BaseException:
            conn.disconnect()
            raise

    def _ready(self) -> AbstractConnection:
        """This thread's connection, with nothing pending on it (send_packed_command connects it if need be)."""
        try:
            conn = self._local.conn
        except AttributeError:
            pool = self._pool
            conn = self._local.conn = pool.connection_class(**pool.connection_kwargs)
        if conn.is_connected:
            # As the pool's ensure_connection: readable before anything was sent means the server closed it
            # (a restart, an idle timeout) or stray bytes; either way reconnect rather than fail the call.
            try:
                stale = conn.can_read()
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                stale = True
            if stale:
                conn.disconnect()  # send_packed_command connects again
        return conn

    def _forget(self) -> None:
        """Drop every thread's connection without touching its socket: for a child after fork()."""
        self._local = threading.local()


# One HeldConnections per client, gone with the client. Keyed by the client, not its pool: a pool's
# connections refer back to it (maintenance-notification handlers), which would keep a pool key alive.
_HELD: weakref.WeakKeyDictionary[redis.Redis, HeldConnections] = weakref.WeakKeyDictionary()
_HELD_LOCK = threading.Lock()


def held_connections(client: redis.Redis) -> HeldConnections:
    """The per-thread connections of a standalone client, made on first use."""
    held = _HELD.get(client)
    if held is None:
        with _HELD_LOCK:  # two threads asking first must share one, or a thread could hold two
            held = _HELD.get(client)
            if held is None:
                held = _HELD[client] = HeldConnections(client)
    return held


def _forget_after_fork() -> None:
    """A forked child must not use its parent's sockets: both processes would read each other's answers."""
    for held in list(_HELD.values()):
        held._forget()  # the forgotten connections close their copy of the socket, never shut it down


os.register_at_fork(after_in_child=_forget_after_fork)
