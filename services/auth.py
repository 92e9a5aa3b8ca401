"""Authentication at the gRPC edge, and the authorization checks servicers make.

Every call of our services must carry `authorization: Bearer <jwt>`; the
interceptor verifies it before the servicer runs and makes the caller's
Principal current for the call. Health and reflection stay open, so probes and
tooling work without a token. Servicers then act only as that principal:
`require_actor` compares a request's acting id (author, follower, blocker,
timeline owner) with the token's subject.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

import grpc

from feed.access.tokens import AuthKeys, Principal, Unauthenticated
from feed.access.verified_tokens import verify_cached
from services.edge import rpc
from services.interceptors import Wrapped, metadata_value

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("feed_principal", default=None)


def current_principal() -> Principal:
    """The authenticated caller of the call being handled."""
    principal = _principal.get()
    if principal is None:  # only reachable if a servicer runs without the interceptor
        raise Unauthenticated("no authenticated caller")
    return principal


def require_actor(user_id: int, field: str) -> Principal:
    """The caller, who must be user_id: nobody acts as someone else."""
    return current_principal().acting_as(user_id, field)


class AuthInterceptor(grpc.ServerInterceptor):
    """Rejects calls to the named services without a valid token (UNAUTHENTICATED)."""

    def __init__(
        self, keys: AuthKeys, service_names: Iterable[str], on_caller: Callable[[Principal], None] | None = None
    ) -> None:
        self._keys = keys
        self._services = frozenset(service_names)
        # Runs in the servicer's error mapping (services.edge.rpc) before the method: binds the
        # caller to their organization and refuses a token naming another one.
        self._on_caller = on_caller
        self._wrapped = Wrapped(self._wrap)

    def intercept_service(self, continuation, details) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or handler.request_streaming or handler.response_streaming:
            return handler
        return self._wrapped.get(handler, details.method)  # built once per method: see Wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, full_method: str) -> grpc.RpcMethodHandler:
        if full_method.lstrip("/").rpartition("/")[0] not in self._services:
            return handler  # health, reflection
        return grpc.unary_unary_rpc_method_handler(
            self._authenticated(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _authenticated(self, behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable:
        keys = self._keys
        on_caller = self._on_caller

        def authenticated(request: Any, context: grpc.ServicerContext) -> Any:
            header = metadata_value(context.invocation_metadata(), "authorization")
            try:
                principal = verify_cached(keys, header if isinstance(header, str) else None)
            except Unauthenticated as exc:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            token = _principal.set(principal)
            try:
                if on_caller is not None:
                    _check_caller(on_caller, principal, context)
                return behavior(request, context)
            finally:
                _principal.reset(token)

        return authenticated


@rpc
def _check_caller(on_caller: Callable[[Principal], None], principal: Principal, context) -> None:
    """Run the caller check with the servicers' error mapping (a store outage is UNAVAILABLE)."""
    on_caller(principal)
