"""No token, secret or post text is ever written to a log.

Runs last (the name sorts after every other test module), so it greps the logs
of the whole run of the shared stack, after a scenario of its own that puts a
recognisable text, tokens and a bad token through every service.
"""

from __future__ import annotations

import re
import uuid

import grpc
import pytest

from feed.v1 import feed_service_pb2
from tests.integration.stack import drained, eventually, new_user

pytestmark = pytest.mark.integration
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def test_logs_of_the_whole_run_hold_no_token_secret_or_post_text(stack, client):
    marker = f"secret-diary-{uuid.uuid4().hex}"
    author, fan = new_user(), new_user()
    client.follow(fan, author)
    post = client.post(author, marker)
    eventually(lambda: [p.post_id for p in client.home(fan).posts] == [post.post_id])
    client.delete(author, post.post_id)
    bad = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged-signature"
    with pytest.raises(grpc.RpcError):
        client.feed.GetHomeTimeline(
            feed_service_pb2.GetHomeTimelineRequest(user_id=fan), metadata=[("authorization", bad)]
        )
    eventually(lambda: drained(stack))

    secret = stack.keys.verify_key
    logs = {p.name: p.log_path.read_text(errors="replace") for p in stack.processes}
    assert sum(len(text) for text in logs.values()) > 1000  # the logs are really there
    for name, text in logs.items():
        assert marker not in text, f"post text in the {name} log"
        assert "model post" not in text and "hello, followers" not in text, f"post text in the {name} log"
        assert secret not in text, f"the JWT secret in the {name} log"
        assert not JWT.search(text), f"a token in the {name} log"
