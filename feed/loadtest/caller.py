"""The one way a replay calls the services: every request goes through `Caller.call` with its acting user.

Per-user credentials (a bearer token per user, say) plug in as a `MetadataProvider`
without touching the scheduler or the runner. `DryCaller` encodes and answers at once,
for measuring the replayer itself.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message

from feed.errors import InvalidArgument
from feed.loadtest.messages import SPECS

Metadata = Sequence[tuple[str, str]]
MetadataProvider = Callable[[int], Metadata | None]  # acting user id (0: unknown) -> call metadata


def no_metadata(user_id: int) -> Metadata | None:
    return None


def load_metadata_provider(spec: str) -> MetadataProvider:
    """'package.module:function' -> that function, so credentials plug in without changing the replayer."""
    module_name, _, name = spec.partition(":")
    try:
        provider = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise InvalidArgument(f"--metadata {spec!r}: {exc}") from None
    if not callable(provider):
        raise InvalidArgument(f"--metadata {spec!r} is not callable")
    return provider


class Caller:
    """Channels to the write and read services and one callable per RPC; `call` returns a gRPC future."""

    def __init__(
        self, write_addr: str, read_addr: str, metadata: MetadataProvider = no_metadata, timeout_s: float = 10.0
    ) -> None:
        self._channels = {"write": grpc.insecure_channel(write_addr), "read": grpc.insecure_channel(read_addr)}
        self._methods = {
            spec.name: self._channels[spec.target].unary_unary(
                spec.path,
                request_serializer=spec.request.SerializeToString,
                response_deserializer=spec.response.FromString,
            )
            for spec in SPECS.values()
        }
        self._metadata = metadata
        self.timeout_s = timeout_s

    def call(self, rpc: str, request: Message, user_id: int) -> grpc.Future:
        """Send without waiting; the answer (or the status) is on the returned future."""
        return self._methods[rpc].future(request, timeout=self.timeout_s, metadata=self._metadata(user_id))

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
    """Encodes every request as a real call would, sends nothing, answers with made-up post ids."""

    def __init__(self, metadata: MetadataProvider = no_metadata) -> None:
        self._metadata = metadata
        self._ids = itertools.count(1)
        self.bytes = 0

    def call(self, rpc: str, request: Message, user_id: int) -> DoneFuture:
        self._metadata(user_id)
        self.bytes += len(request.SerializeToString())
        spec = SPECS[rpc]
        response = spec.response(post_id=next(self._ids)) if rpc == "CreatePost" else spec.response()
        return DoneFuture(response)

    def close(self) -> None:
        pass
