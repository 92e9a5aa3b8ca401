"""`feed trace record`: a recording proxy in front of a running stack, for a bounded session.

Point clients (a test suite, a staging app, grpcurl) at the proxy's two addresses; it
forwards every call to the real services, metadata included, answers with their answer
or status, and records the requests through the same interceptor the services use with
FEED_TRACE_RECORD. One file holds both services' requests, already in one time order.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent import futures

import grpc

from feed.loadtest.messages import SPECS, RpcSpec
from feed.loadtest.record import RecordingInterceptor, TraceRecorder
from feed.shutdown import Stop

PROXY_WORKERS = 32
NO_DEADLINE_S = 1e9  # a call without a deadline reports ~9e18 s remaining, which gRPC cannot take back
_HOP_BY_HOP = ("user-agent", "grpc-")  # set by each channel itself; forwarding them is refused


def _forwarder(spec: RpcSpec, channel: grpc.Channel) -> grpc.RpcMethodHandler:
    method = channel.unary_unary(
        spec.path, request_serializer=spec.request.SerializeToString, response_deserializer=spec.response.FromString
    )

    def forward(request, context: grpc.ServicerContext):
        metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith(_HOP_BY_HOP)]
        try:
            remaining = context.time_remaining()  # the caller's deadline goes on with the call
            timeout = remaining if remaining < NO_DEADLINE_S else None
            return method(request, timeout=timeout, metadata=metadata)
        except grpc.RpcError as exc:
            context.abort(exc.code(), exc.details() or "")

    return grpc.unary_unary_rpc_method_handler(
        forward, request_deserializer=spec.request.FromString, response_serializer=spec.response.SerializeToString
    )


class RecordingProxy:
    """Two servers (the write and the read services' APIs) forwarding to targets and recording."""

    def __init__(
        self, recorder: TraceRecorder, listen: dict[str, str], targets: dict[str, str], workers: int = PROXY_WORKERS
    ) -> None:
        self._channels = {role: grpc.insecure_channel(addr) for role, addr in targets.items()}
        self.servers: dict[str, grpc.Server] = {}
        self.ports: dict[str, int] = {}
        by_role: dict[str, dict[str, dict[str, grpc.RpcMethodHandler]]] = defaultdict(lambda: defaultdict(dict))
        for spec in SPECS.values():
            by_role[spec.target][spec.service][spec.name] = _forwarder(spec, self._channels[spec.target])
        for role, services in by_role.items():
            server = grpc.server(
                futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"proxy-{role}"),
                interceptors=[RecordingInterceptor(recorder)],
            )
            server.add_generic_rpc_handlers(
                [grpc.method_handlers_generic_handler(name, methods) for name, methods in services.items()]
            )
            self.ports[role] = server.add_insecure_port(listen[role])
            if self.ports[role] == 0:
                raise RuntimeError(f"could not bind {listen[role]}")
            self.servers[role] = server

    def start(self) -> None:
        for server in self.servers.values():
            server.start()

    def stop(self, grace_s: float = 5.0) -> None:
        """Let calls in progress finish (their requests are recorded already), then close the channels."""
        for server in self.servers.values():
            server.stop(grace_s).wait()
        for channel in self._channels.values():
            channel.close()


def record_session(
    out: str,
    duration_s: float,
    sample_rate: float,
    listen: dict[str, str],
    targets: dict[str, str],
    stop: Stop,
) -> TraceRecorder:
    """Proxy and record until duration_s passes or stop is set; return the closed recorder (its counts)."""
    recorder = TraceRecorder(out, sample_rate)
    proxy = RecordingProxy(recorder, listen, targets)
    proxy.start()
    try:
        stop.wait(duration_s)
    finally:
        proxy.stop()
        recorder.close()
    return recorder
