"""A bounded cache of verified bearer tokens, so a client's repeated calls skip PyJWT.

Verifying a JWT (parse, base64, JSON, HMAC or signature, claim checks) cost
about 12% of the read service's CPU, and a client sends the same token on
every call until it expires. A token that verified once verifies again until
its `exp` (the verdict depends only on the token, the keys and the clock), so
the answer is cached by the token in its one spelling (feed.access.tokens.bearer_token:
the scheme's case and surrounding spaces do not count, so one caller cannot fill the
cache with respellings of one valid token and evict everyone else) and used:

- only until the token's `exp` (the verifier's leeway is not extended to cached
  answers: past `exp` the token goes through full verification again, which
  also gives the refusal its reason);
- only with the keys it was verified with (a process that changes keys, or a
  test with two key sets, never reuses a verdict across them);
- never for a refusal: a bad token is verified, and refused, on every call, so
  the cache cannot be filled by garbage and a refusal always says why.

The cache is bounded (least recently used entries go first). Tokens are
secrets: nothing here logs them or puts them in a repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from feed.access.tokens import AuthKeys, Principal, bearer_token, verify_with_expiry
from feed.lru import BoundedLru

MAX_ENTRIES = 16_384  # about 6 MB of tokens; past it the least recently used is dropped


class VerifiedTokens:
    """verify(keys, authorization) as feed.access.tokens.verify, answering repeated valid tokens from memory."""

    def __init__(self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # token -> (keys it was verified with, principal, exp)
        self._entries: BoundedLru[str, tuple[AuthKeys, Principal, int]] = BoundedLru(max_entries)

    def __repr__(self) -> str:
        return f"VerifiedTokens(entries={len(self._entries)}, max_entries={self._entries.max_entries})"

    def __len__(self) -> int:
        return len(self._entries)

    def verify(self, keys: AuthKeys, authorization: str | None) -> Principal:
        """The principal of an `authorization: Bearer <jwt>` value, or Unauthenticated saying why."""
        return self.verify_with_expiry(keys, authorization)[0]

    def verify_with_expiry(self, keys: AuthKeys, authorization: str | None) -> tuple[Principal, int]:
        """verify, and the token's `exp`: a stream outliving its token ends then."""
        token = bearer_token(authorization)  # or refused, with the reason
        now = self._clock()
        entry = self._entries.get(token)
        if entry is not None:
            if entry[0] == keys and now < entry[2]:
                return entry[1], entry[2]
            self._entries.discard(token)  # expired, or verified with other keys
        principal, exp = verify_with_expiry(keys, authorization)  # the slow part, under no lock
        if now < exp:  # a token inside the verifier's leeway is accepted, not cached
            self._entries.put(token, (keys, principal, exp))
        return principal, exp


_PROCESS_CACHE = VerifiedTokens()


def verify_cached(keys: AuthKeys, authorization: str | None) -> Principal:
    """feed.access.tokens.verify through this process's cache of verified tokens."""
    return _PROCESS_CACHE.verify(keys, authorization)


def verify_cached_with_expiry(keys: AuthKeys, authorization: str | None) -> tuple[Principal, int]:
    """verify_cached, and the token's `exp` (seconds since the epoch)."""
    return _PROCESS_CACHE.verify_with_expiry(keys, authorization)
