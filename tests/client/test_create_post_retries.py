"""create_post retried against a real write service: one logical post, one post, whatever was lost."""

from __future__ import annotations

import threading

import pytest

from feed.client import RetryPolicy, Unavailable
from tests.client.lossy_proxy import LossyProxy
from tests.client.stack_client import client_for
from tests.integration.stack import new_user, start_replica, wait_listening

pytestmark = pytest.mark.integration

CREATE_POST = "/feed.v1.PostService/CreatePost"


def _texts(client, author: int) -> list[str]:
    return [post.text for post in client.user_timeline(author, author)]


def test_a_create_post_whose_answers_were_lost_creates_exactly_one_post(stack):
    proxy = LossyProxy(stack.settings.write_addr, CREATE_POST, lose=2)
    author = new_user()
    try:
        with client_for(stack, write_addr=proxy.addr) as client:
            post = client.create_post(author, "only once")

            assert proxy.forwarded[CREATE_POST] == 3  # the server created it on the first call, answered it thrice
            assert _texts(client, author) == ["only once"]
            assert client.get_post(author, post.post_id).text == "only once"
    finally:
        proxy.close()


def test_retries_are_bounded_and_end_in_unavailable(stack):
    proxy = LossyProxy(stack.settings.write_addr, CREATE_POST, lose=10)
    author = new_user()
    try:
        with client_for(stack, write_addr=proxy.addr, retry=RetryPolicy(attempts=3, initial_s=0.01)) as client:
            with pytest.raises(Unavailable, match="lost on the way back"):
                client.create_post(author, "given up")
            assert proxy.forwarded[CREATE_POST] == 3
            assert _texts(client, author) == ["given up"]  # three attempts, still one post
    finally:
        proxy.close()


def test_a_create_post_made_while_the_write_service_restarts_lands_once(stack, tmp_path):
    proc, addr = start_replica(stack, "write", tmp_path)
    wait_listening(proc, addr)
    author = new_user()
    patient = RetryPolicy(attempts=40, initial_s=0.1, max_s=1.0)  # about 30 s: a restart takes a few
    with client_for(stack, write_addr=addr, retry=patient) as client:
        client.follow(author, new_user())  # the channel is connected before the service goes away
        proc.stop(30)  # SIGTERM: the service drains and exits (a loaded machine may take a while)
        result: dict[str, object] = {}
        worker = threading.Thread(target=lambda: result.update(post=client.create_post(author, "across a restart")))
        worker.start()
        proc = proc.again()  # the same command, environment and address
        try:
            worker.join(60)
            assert "post" in result, "create_post did not return after the restart"
            assert _texts(client, author) == ["across a restart"]
        finally:
            proc.stop()
