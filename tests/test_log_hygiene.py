"""No token, secret or post text is ever written to a log.

The check does not depend on where this module sorts in the run: its test
drives every service through a scenario of its own (a recognisable post text,
tokens, a forged token) and greps the logs of the shared stack then; a
session-scoped fixture greps them again when the session ends, so whatever ran
on the stack after this test is checked too. A finding at the session's end is
reported as an error at the teardown of the last test.
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


class LogHygiene:
    """The shared stack's logs, and what must never be in them."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.post_texts = {"model post", "hello, followers"}  # texts other suites post on this stack

    def findings(self) -> list[str]:
        """One line per log that holds post text, the JWT secret or a token."""
        secret = self.stack.keys.verify_key
        logs = {p.name: p.log_path.read_text(errors="replace") for p in self.stack.processes}
        assert sum(len(text) for text in logs.values()) > 1000, "the logs are not there"
        found = []
        for name, text in logs.items():
            found += [f"post text {t!r} in the {name} log" for t in sorted(self.post_texts) if t in text]
            found += [f"the JWT secret in the {name} log"] if secret in text else []
            found += [f"a token in the {name} log: {m.group()[:12]}..." for m in JWT.finditer(text)]
        return found


@pytest.fixture(scope="session")
def log_hygiene(stack):
    """Checks the logs again once every test of the session has run (teardown runs before the stack stops)."""
    hygiene = LogHygiene(stack)
    yield hygiene
    findings = hygiene.findings()
    assert not findings, "log hygiene, at the end of the session:\n" + "\n".join(findings)


def test_logs_hold_no_token_secret_or_post_text(log_hygiene, stack, client):
    marker = f"secret-diary-{uuid.uuid4().hex}"
    log_hygiene.post_texts.add(marker)
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
    assert log_hygiene.findings() == []
