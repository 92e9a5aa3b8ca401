"""Time-ordered 64-bit ids (Snowflake layout) and id validation.

An id is 41 bits of milliseconds since EPOCH_MS, 10 bits of generator node and
12 bits of sequence. Newer ids compare greater, which is what lets timelines
and cursors order by id alone. Ids stay below 2**63 so every store and Redis
list encodes them as signed 64-bit integers; they exceed 2**53, so they must
never pass through a float (Redis sorted-set scores, Lua numbers).
"""

from __future__ import annotations

import os
import threading
import time

from feed.errors import InvalidArgument

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NODE_BITS = 10
SEQUENCE_BITS = 12
MAX_NODE = (1 << NODE_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
MAX_ID = (1 << 63) - 1
# How far ahead of a reader's clock an id's time may be and still come from a real generator:
# the clock skew tolerated between the process that made the id and the one reading it.
FUTURE_SKEW_MS = 5_000


def now_ms() -> int:
    """The wall clock in milliseconds since the Unix epoch: the unit of every stored time."""
    return int(time.time() * 1000)


class IdGenerator:
    """Hands out unique, increasing ids for one process (thread-safe)."""

    def __init__(self, node: int | None = None, clock=time.time) -> None:
        if node is None:
            node = int.from_bytes(os.urandom(2), "big") & MAX_NODE
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be in 0..{MAX_NODE}, got {node}")
        self._node = node
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        """Return a new id greater than every id this generator returned before."""
        with self._lock:
            now = max(int(self._clock() * 1000), self._last_ms)  # never go back in time
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:  # 4096 ids in one ms: borrow the next ms
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)) | (self._node << SEQUENCE_BITS) | self._sequence


def id_time_ms(snowflake: int) -> int:
    """Milliseconds since the Unix epoch at which the id was made."""
    return (snowflake >> (NODE_BITS + SEQUENCE_BITS)) + EPOCH_MS


def is_future_id(snowflake: int, now: int, skew_ms: int = FUTURE_SKEW_MS) -> bool:
    """True if no generator can have made the id yet: its time lies more than skew_ms after now (ms)."""
    return id_time_ms(snowflake) > now + skew_ms


def require_id(value: int, name: str) -> int:
    """Validate a user or post id taken from a request: 0 < id < 2**63."""
    if not 0 < value <= MAX_ID:
        raise InvalidArgument(f"{name} must be between 1 and {MAX_ID}, got {value}")
    return value
