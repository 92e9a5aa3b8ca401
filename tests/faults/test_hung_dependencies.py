"""A hung dependency becomes UNAVAILABLE within a bounded time, never a hung call."""

from __future__ import annotations

import signal
import time

import grpc
import pytest

from tests.integration.stack import client_of, eventually, new_user, private_stack

pytestmark = [pytest.mark.integration, pytest.mark.fault]
BOUND_S = 10.0  # Redis calls time out after 2 s; with reconnect attempts a call must still end well before this


def timed_status(call) -> tuple[grpc.StatusCode, float]:
    started = time.monotonic()
    try:
        call()
        code = grpc.StatusCode.OK
    except grpc.RpcError as err:
        code = err.code()
    return code, time.monotonic() - started


def test_calls_fail_fast_with_unavailable_while_redis_hangs(tmp_path_factory):
    with private_stack(tmp_path_factory, "hung-redis") as stack, client_of(stack) as client:
        user = new_user()
        client.home(user)
        redis = next(p for p in stack.processes if p.name == "redis")
        redis.signal(signal.SIGSTOP)  # accepts nothing, answers nothing
        try:
            for call in (lambda: client.home(user), lambda: client.post(user, "while redis hangs")):
                code, took = timed_status(call)
                assert code == grpc.StatusCode.UNAVAILABLE
                assert took < BOUND_S
        finally:
            redis.signal(signal.SIGCONT)

        def answers() -> bool:
            return timed_status(lambda: client.home(user))[0] == grpc.StatusCode.OK

        eventually(answers, timeout_s=30)  # and serves again once Redis does
