"""Client side of authentication: attach a bearer token for the user a request acts as.

Used by the load tools and the tests, which act as many users: the acting user
is read from the request itself (author, follower, blocker or owner of the
timeline), and a token for that user is minted once and cached.
"""

from __future__ import annotations

import collections

import grpc

from feed.access.tokens import AuthKeys, mint
from feed.lru import BoundedLru

ACTING_FIELDS = ("author_id", "follower_id", "blocker_id", "creator_id", "inviter_id", "user_id")
TOKEN_TTL_S = 24 * 3600
CACHE_MAX = 100_000  # bounded: tokens of the least recently used users are minted again


def acting_user(request, default: int) -> int:
    """The user a request acts as: its first non-zero acting field, else the default viewer."""
    for name in ACTING_FIELDS:
        value = getattr(request, name, 0)
        if value:
            return value
    return default


class TokenCache:
    """Tokens per (user, org, admin), minted on first use; org_of and admin_of say a user's
    organization and whether they administer it (default: org 0, not an admin)."""

    def __init__(self, keys: AuthKeys, org_of=lambda user_id: 0, admin_of=lambda user_id: False) -> None:
        self._keys = keys
        self._org_of = org_of
        self._admin_of = admin_of
        self._tokens: BoundedLru[tuple[int, int, bool], str] = BoundedLru(CACHE_MAX)

    def token(self, user_id: int) -> str:
        key = (user_id, self._org_of(user_id), bool(self._admin_of(user_id)))
        token = self._tokens.get(key)
        if token is None:
            token = mint(self._keys, key[0], key[1], ttl_s=TOKEN_TTL_S, admin=key[2])
            self._tokens.put(key, token)
        return token


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class ActingUserAuth(grpc.UnaryUnaryClientInterceptor):
    """Adds `authorization: Bearer <token of the acting user>` unless the call already has one."""

    def __init__(self, tokens: TokenCache, default_viewer: int = 1) -> None:
        self._tokens = tokens
        self._viewer = default_viewer

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = list(client_call_details.metadata or [])
        if not any(key == "authorization" for key, _ in metadata):
            user = acting_user(request, self._viewer)
            metadata.append(("authorization", f"Bearer {self._tokens.token(user)}"))
        details = _Details(
            client_call_details.method,
            client_call_details.timeout,
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
            client_call_details.compression,
        )
        return continuation(details, request)


def authenticated_channel(addr: str, tokens: TokenCache, default_viewer: int = 1) -> grpc.Channel:
    """An insecure channel to addr whose calls carry the acting user's token."""
    return grpc.intercept_channel(grpc.insecure_channel(addr), ActingUserAuth(tokens, default_viewer))
