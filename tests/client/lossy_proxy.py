"""A gRPC proxy that loses answers: the server acts on the call, the client hears UNAVAILABLE.

What a dropped connection or a load balancer failing over does to a caller whose request already
went through: the one case where a retry without an idempotency key would act twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent import futures

import grpc

_HOP_BY_HOP = ("user-agent", "grpc-")  # set by each channel itself


class LossyProxy:
    """Forwards every unary call to target as raw bytes; the first `lose` calls of `method` are forwarded
    and answered UNAVAILABLE. `forwarded` counts the calls that reached the target, by method."""

    def __init__(self, target: str, method: str, lose: int) -> None:
        self._channel = grpc.insecure_channel(target)
        self._method = method
        self._lose = lose
        self._lock = threading.Lock()
        self.forwarded: Counter[str] = Counter()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers([_Forward(self)])
        self.addr = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def forward(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith(_HOP_BY_HOP)]
        try:
            answer = self._channel.unary_unary(method)(request, metadata=metadata, timeout=10)
        except grpc.RpcError as err:
            context.abort(err.code(), err.details() or "")
        with self._lock:
            self.forwarded[method] += 1
            lose = method == self._method and self._lose > 0
            self._lose -= lose
        if lose:
            context.abort(grpc.StatusCode.UNAVAILABLE, "the answer was lost on the way back")
        return answer

    def close(self) -> None:
        self._server.stop(0).wait()
        self._channel.close()


class _Forward(grpc.GenericRpcHandler):
    def __init__(self, proxy: LossyProxy) -> None:
        self._proxy = proxy

    def service(self, handler_call_details):
        method = handler_call_details.method
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: self._proxy.forward(method, request, context)
        )
