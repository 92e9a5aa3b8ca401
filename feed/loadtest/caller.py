"""The one way a replay calls the services: every request goes through `Caller.call` with its acting user.

Per-user credentials (a bearer token per user and organization, say) plug in as a
`MetadataProvider` without touching the scheduler or the runner. `DryCaller` encodes and
answers at once, for measuring the replayer itself.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message

from feed.client.calls import open_channel
from feed.errors import InvalidArgument
from feed.loadtest.messages import SPECS

Metadata = Sequence[tuple[str, str]]
# (acting user id (0: unknown), their organization) -> call metadata
MetadataProvider = Callable[[int, int], Metadata | None]


def no_metadata(user_id: int, org_id: int = 0) -> Metadata | None:
    return None


def per_org(provider: Callable[..., Metadata | None]) -> MetadataProvider:
    """A provider taking (user_id, org_id); one written before organizations, taking only
    user_id, is wrapped so it keeps working (for traces of the default organization)."""
    try:
        inspect.signature(provider).bind(0, 0)
    except TypeError:
        return lambda user_id, org_id: provider(user_id)
    except ValueError:  # no signature to inspect (a builtin): assume the current form
        pass
    return provider


def load_metadata_provider(spec: str) -> MetadataProvider:
    """'package.module:function' -> that function, so credentials plug in without changing the replayer."""
    module_name, _, name = spec.partition(":")
    try:
        provider = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise InvalidArgument(f"--metadata {spec!r}: {exc}") from None
    if not callable(provider):
        raise InvalidArgument(f"--metadata {spec!r} is not callable")
    return per_org(provider)


def bearer_tokens(keys: Any, default_viewer: int = 1) -> MetadataProvider:
    """Bearer tokens minted with keys (feed.access.tokens.AuthKeys) for each acting user in the organization
    the trace names, as the services require once a user is bound to one. User 0 (a record naming
    nobody) acts as default_viewer. Minted once each, in the load kit's bounded cache."""
    from feed.loadkit.tokens import TokenProvider

    tokens = TokenProvider(keys)
    return lambda user_id, org_id: tokens.metadata(user_id or default_viewer, org_id)


class Caller:
    """Channels to the write and read services and one callable per RPC; `call` returns a gRPC future."""

    def __init__(
        self, write_addr: str, read_addr: str, metadata: MetadataProvider = no_metadata, timeout_s: float = 10.0
    ) -> None:
        # The client's channels (feed.client: its reconnect settings), not its calls: those are synchronous,
        # typed and retried, and cost a replay about a third of its throughput (docs/client.md).
        self._channels = {"write": open_channel(write_addr), "read": open_channel(read_addr)}
        self._methods = {
            spec.name: self._channels[spec.target].unary_unary(
                spec.path,
                request_serializer=spec.request.SerializeToString,
                response_deserializer=spec.response.FromString,
            )
            for spec in SPECS.values()
        }
        self._metadata = per_org(metadata)
        self.timeout_s = timeout_s

    def call(self, rpc: str, request: Message, user_id: int, org_id: int = 0) -> grpc.Future:
        """Send without waiting; the answer (or the status) is on the returned future."""
        return self._methods[rpc].future(request, timeout=self.timeout_s, metadata=self._metadata(user_id, org_id))

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


class DoneFuture:
    """The little of grpc.Future a replay uses, already resolved: what a dry run 'receives'."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def result(self, timeout: float | None = None) -> Any:
        return self._response

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def done(self) -> bool:
        return True

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        fn(self)


class DryCaller:
    """Encodes every request as a real call would, sends nothing, answers with made-up post and group ids."""

    def __init__(self, metadata: MetadataProvider = no_metadata) -> None:
        self._metadata = per_org(metadata)
        self._ids = itertools.count(1)
        self.bytes = 0

    def call(self, rpc: str, request: Message, user_id: int, org_id: int = 0) -> DoneFuture:
        self._metadata(user_id, org_id)
        self.bytes += len(request.SerializeToString())
        spec = SPECS[rpc]
        return DoneFuture(spec.response(**{spec.creates: next(self._ids)}) if spec.creates else spec.response())

    def close(self) -> None:
        pass
