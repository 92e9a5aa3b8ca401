"""The dead-letter queue against a broker that stops answering: nothing raises but flush, nothing is lost."""

from __future__ import annotations

import signal
import types

import pytest

from feed.errors import Unavailable
from feed.messaging.dead_letters import DeadLetterQueue
from feed.messaging.topics import ensure_topic
from tests.integration.stack import eventually
from tests.workers.in_process import dead_letter_reasons

pytestmark = pytest.mark.integration


def record(offset: int) -> types.SimpleNamespace:
    return types.SimpleNamespace(topic="feed.events", partition=0, offset=offset, key=b"k", value=b"bad", headers=[])


def test_a_frozen_broker_refuses_dead_letters_at_flush_and_they_are_sent_once_it_answers(tansu):
    proc, bootstrap = tansu
    ensure_topic(bootstrap, "feed.events.dlq", 1)
    queue = DeadLetterQueue(bootstrap, "feed.events.dlq", timeout_s=1.0)
    proc.signal(signal.SIGSTOP)
    try:
        queue.send(record(5), "undecodable event")  # the topic's metadata is not known yet: it cannot be had now
        queue.send(record(6), "undecodable event")
        with pytest.raises(Unavailable):
            queue.flush()
        with pytest.raises(Unavailable):
            queue.flush()  # still refused; still kept
    finally:
        proc.signal(signal.SIGCONT)

    def flushed() -> bool:
        try:
            return queue.flush() == 2
        except Unavailable:
            return False

    eventually(flushed, timeout_s=30)
    queue.close()
    assert dead_letter_reasons(bootstrap, "feed.events.dlq") == ["undecodable event", "undecodable event"]
