"""A worker on a real broker and redis-server never stalls on an event it cannot apply, survives a
dead-letter topic that refuses, and stops promptly in the middle of retries without committing."""

from __future__ import annotations

import dataclasses
import signal

import pytest
from prometheus_client import REGISTRY

from feed.devstack.local import start_tansu
from feed.messaging.dead_letters import DeadLetterQueue, dead_letter_topic
from feed.messaging.topics import ensure_topic
from tests.integration.stack import eventually
from tests.workers.in_process import (
    active_author,
    author_key,
    committed,
    dead_letter_reasons,
    produce,
    running_worker,
    settings_for,
    stored_post,
    timeline_ids,
)

pytestmark = pytest.mark.integration
AUTHOR = 7


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class PoisonedPosts:
    """The real post store, except that reading one post raises, every time: a corrupt row, say."""

    def __init__(self, posts, poison: int) -> None:
        self._posts = posts
        self._poison = poison

    def get_posts(self, post_ids):
        post_ids = list(post_ids)
        if self._poison in post_ids:
            raise ValueError(f"corrupt row for post {self._poison}")
        return self._posts.get_posts(post_ids)

    def __getattr__(self, name: str):
        return getattr(self._posts, name)


def test_an_event_that_fails_to_apply_is_dead_lettered_with_its_reason_and_the_rest_applied(
    tansu, store, redis_client, redis_url, tmp_path
):
    _, bootstrap = tansu
    settings = settings_for(tmp_path, bootstrap, redis_url)
    poisoned = dataclasses.replace(store, posts=PoisonedPosts(store.posts, poison=102))
    before = sample("feed_fanout_dead_letters_total", reason="apply_failed")
    with running_worker(settings, poisoned) as running:
        active_author(store, running.timelines, AUTHOR)  # before the posts: only fan-out brings them
        values = [stored_post(store, post_id, AUTHOR) for post_id in (101, 102, 103, 104)]
        produce(bootstrap, settings.events_topic, values, author_key(AUTHOR))
        eventually(lambda: timeline_ids(running.timelines, AUTHOR) == [104, 103, 101], timeout_s=30)
        eventually(lambda: committed(settings) == 4, timeout_s=30)
        assert running.alive()
    dlq = dead_letter_topic(settings.events_topic)
    assert dead_letter_reasons(bootstrap, dlq) == ["ValueError: corrupt row for post 102"]
    assert sample("feed_fanout_dead_letters_total", reason="apply_failed") - before == 1


def test_a_dead_letter_topic_that_refuses_holds_the_commit_but_never_crashes_the_worker(
    tansu, store, redis_client, redis_url, tmp_path, tmp_path_factory, caplog
):
    _, bootstrap = tansu
    settings = settings_for(tmp_path, bootstrap, redis_url)
    # The dead letters go to a second broker of their own, frozen while the batch is applied.
    dlq_proc, dlq_bootstrap = start_tansu(tmp_path_factory.mktemp("dlq-broker"))
    try:
        dlq = dead_letter_topic(settings.events_topic)
        ensure_topic(dlq_bootstrap, dlq, 1)
        dead_letters = DeadLetterQueue(dlq_bootstrap, dlq, timeout_s=1.0)
        dlq_proc.signal(signal.SIGSTOP)
        with running_worker(settings, store, dead_letters) as running:
            active_author(store, running.timelines, AUTHOR)
            values = [stored_post(store, 201, AUTHOR), b"\xff\x00 not a protobuf", stored_post(store, 202, AUTHOR)]
            produce(bootstrap, settings.events_topic, values, author_key(AUTHOR))
            eventually(lambda: timeline_ids(running.timelines, AUTHOR) == [202, 201], timeout_s=30)
            # It keeps offering them: the refusals are logged as they happen.
            eventually(lambda: caplog.text.count("dead letters not taken") >= 2, timeout_s=30)
            assert committed(settings) is None and running.alive()  # not before the dead letter is taken

            dlq_proc.signal(signal.SIGCONT)
            eventually(lambda: committed(settings) == 3, timeout_s=30)
            produce(bootstrap, settings.events_topic, [stored_post(store, 203, AUTHOR)], author_key(AUTHOR))
            eventually(lambda: timeline_ids(running.timelines, AUTHOR)[:1] == [203], timeout_s=30)
            assert running.alive()
        reasons = dead_letter_reasons(dlq_bootstrap, dlq)
        assert len(reasons) >= 1 and all("undecodable" in reason for reason in reasons)  # at least once
    finally:
        dlq_proc.signal(signal.SIGCONT)
        dlq_proc.stop()


def test_stopping_during_an_outage_ends_within_the_grace_commits_nothing_and_dead_letters_nothing(
    tansu, store, tmp_path
):
    _, bootstrap = tansu
    settings = settings_for(tmp_path, bootstrap, "redis://127.0.0.1:1/0")  # no Redis answers there
    before = {r: sample("feed_fanout_dead_letters_total", reason=r) for r in ("apply_failed", "invalid_event")}
    failures = sample("feed_fanout_batch_failures_total")
    with running_worker(settings, store) as running:
        produce(bootstrap, settings.events_topic, [stored_post(store, 301, AUTHOR)], author_key(AUTHOR))
        # More failed tries than a poison event gets: an outage is never blamed on the event.
        eventually(lambda: sample("feed_fanout_batch_failures_total") - failures >= 5, timeout_s=30)
        running.stop.set()
        running.thread.join(2.0)  # a pause is a stop.wait: it ends at once, whatever is left of it
        assert not running.thread.is_alive() and not running.errors
    assert committed(settings) is None
    assert {r: sample("feed_fanout_dead_letters_total", reason=r) for r in before} == before
