"""Where the client's bearer tokens come from: a callable user_id -> token, or one fixed token.

A token source is asked before every call (and before every stream (re)connection), so one that
mints or fetches tokens renews them by itself; it should cache, since it runs on every call.
Tokens are never logged: they appear only in call metadata.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt

from feed.access.tokens import AuthKeys, mint
from feed.config import Settings

TokenSource = Callable[[int], str]  # acting user id -> bearer token (without the "Bearer " prefix)


def fixed_token(token: str) -> TokenSource:
    """A source that answers one token for every user: a front end's signed-in user."""
    return lambda user_id: token


def as_token_source(source: TokenSource | str) -> TokenSource:
    """A source from what FeedClient was given: a callable as it is, a string as a fixed token."""
    return fixed_token(source) if isinstance(source, str) else source


def expires_at(token: str) -> float | None:
    """A JWT's `exp` (seconds since the epoch), read without verifying it; None for anything else.
    Only used to renew ahead of expiry: the server does the verifying."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if isinstance(exp, int | float) else None


class DevTokens:
    """Tokens minted with the local stack's keys (var/jwt.secret, made by `feed up`), for development
    and tests: never in production, where tokens come from the sign-in service.

    Each user's token is cached and minted again once less than a fifth of its lifetime is left,
    so a long watch() gets a fresh token before its stream would end at `exp`."""

    def __init__(
        self,
        keys: AuthKeys | None = None,
        org: int | Callable[[int], int] = 0,
        ttl_s: int = 3600,
        admin: Callable[[int], bool] = lambda user_id: False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys or AuthKeys.from_settings(Settings.from_env())
        self._org_of = org if callable(org) else (lambda user_id, org_id=org: org_id)
        self._admin = admin
        self._ttl_s = ttl_s
        self._renew_s = ttl_s / 5
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[str, float]] = {}  # user -> (token, when to mint again)

    def __call__(self, user_id: int) -> str:
        now = int(self._clock())  # mint() counts from the whole second: renew from the same instant
        with self._lock:  # one mint per user at a time; calls come from several threads (watch renews)
            cached = self._cache.get(user_id)
            if cached is not None and now < cached[1]:
                return cached[0]
            admin = self._admin(user_id)
            token = mint(self._keys, user_id, self._org_of(user_id), ttl_s=self._ttl_s, now=now, admin=admin)
            self._cache[user_id] = (token, now + self._ttl_s - self._renew_s)
            return token


def dev_tokens(org: int | Callable[[int], int] = 0, ttl_s: int = 3600, keys: AuthKeys | None = None) -> DevTokens:
    """Tokens minted from the local stack's keys (FEED_JWT_SECRET or FEED_JWT_SECRET_FILE) in
    organization org (an id, or a function of the user id)."""
    return DevTokens(keys, org, ttl_s)
