"""Bearer tokens for callers that act as many users: the load tools and the tests.

One TokenProvider mints a token per acting user and organization with the run's keys
(feed.access.tokens), once, and keeps it in a bounded cache. Callers that know the
acting user pass `metadata(user)` with each call (the load generators: no per-call
interceptor taking CPU from the processes measured); others use a channel whose
interceptor reads the acting user from the request itself (`authenticated_channel`).
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import grpc

from feed.access.tokens import AuthKeys, mint
from feed.lru import BoundedLru

Metadata = tuple[tuple[str, str], ...]
ACTING_FIELDS = ("author_id", "follower_id", "blocker_id", "muter_id", "creator_id", "inviter_id", "user_id")
TOKEN_TTL_S = 24 * 3600
CACHE_MAX = 100_000  # bounded: tokens of the least recently used users are minted again


class TokenProvider:
    """Call metadata carrying a token of (user, organization, admin), minted on first use.

    org_of and admin_of say a user's organization when the caller does not name one, and
    whether they administer it (default: org 0, not an admin). issued_at (default: now
    at each mint) lets several load generators of one run send the very same tokens, as
    one population of clients reusing their tokens would.
    """

    def __init__(
        self,
        keys: AuthKeys,
        org_of: Callable[[int], int] = lambda user_id: 0,
        admin_of: Callable[[int], bool] = lambda user_id: False,
        issued_at: float | None = None,
        max_cached: int = CACHE_MAX,
    ) -> None:
        self._keys = keys
        self._org_of = org_of
        self._admin_of = admin_of
        self._issued_at = issued_at
        self._cache: BoundedLru[tuple[int, int, bool], Metadata] = BoundedLru(max_cached)

    def metadata(self, user_id: int, org_id: int | None = None) -> Metadata:
        """`authorization: Bearer <token>` acting as user_id, in org_id (default: org_of(user_id))."""
        org = self._org_of(user_id) if org_id is None else org_id
        key = (user_id, org, bool(self._admin_of(user_id)))
        found = self._cache.get(key)
        if found is None:  # two threads may both mint here: the same claims, harmlessly
            ttl_s = min(TOKEN_TTL_S, self._keys.max_lifetime_s)  # what the services accept, however configured
            token = mint(self._keys, user_id, org, ttl_s=ttl_s, now=self._issued_at, admin=key[2])
            found = (("authorization", f"Bearer {token}"),)
            self._cache.put(key, found)
        return found

    def token(self, user_id: int, org_id: int | None = None) -> str:
        """The bare token metadata() carries."""
        return self.metadata(user_id, org_id)[0][1].removeprefix("Bearer ")


def acting_user(request, default: int) -> int:
    """The user a request acts as: its first non-zero acting field, else the default viewer."""
    for name in ACTING_FIELDS:
        value = getattr(request, name, 0)
        if value:
            return value
    return default


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class ActingUserAuth(grpc.UnaryUnaryClientInterceptor):
    """Adds `authorization: Bearer <token of the acting user>` unless the call already has one."""

    def __init__(self, tokens: TokenProvider, default_viewer: int = 1) -> None:
        self._tokens = tokens
        self._viewer = default_viewer

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = list(client_call_details.metadata or [])
        if not any(key == "authorization" for key, _ in metadata):
            metadata += self._tokens.metadata(acting_user(request, self._viewer))
        details = _Details(
            client_call_details.method,
            client_call_details.timeout,
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
            client_call_details.compression,
        )
        return continuation(details, request)


def balanced_target(addrs: list[str]) -> str:
    """One gRPC target naming every replica (`ipv4:HOST:PORT,HOST:PORT`), or the one address."""
    return addrs[0] if len(addrs) == 1 else "ipv4:" + ",".join(addrs)


def balanced_channel(addrs: list[str]) -> grpc.Channel:
    """An insecure channel balanced round robin over addrs, as a client in front of stateless replicas."""
    return grpc.insecure_channel(balanced_target(addrs), options=[("grpc.lb_policy_name", "round_robin")])


def authenticated_channel(addr: str | list[str], tokens: TokenProvider, default_viewer: int = 1) -> grpc.Channel:
    """A channel to addr (or balanced over several) whose calls carry the acting user's token."""
    channel = balanced_channel(addr) if isinstance(addr, list) else grpc.insecure_channel(addr)
    return grpc.intercept_channel(channel, ActingUserAuth(tokens, default_viewer))
