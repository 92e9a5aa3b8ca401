"""Chaos: a mixed workload while the test SIGKILLs the write service, a worker and the relay,
SIGSTOPs the broker and restarts Redis empty; the stack supervises itself back. Once everything
drains, every home timeline equals the reference model's and every accepted call shows exactly once."""

from __future__ import annotations

import collections
import signal
import threading
import time

import pytest

from feed.devstack.stack import start_stack
from feed.devstack.supervise import Supervisor
from tests.chaos.workload import Workload
from tests.integration.stack import Client, drained, eventually, isolated_settings, new_user

pytestmark = [pytest.mark.integration, pytest.mark.fault]
WORKLOAD_S = 40.0
USERS = 10
BROKER_STOP_S = 6.0
DRAIN_S = 120.0
TIMELINE_MAX = 10_000
# (seconds into the workload, what happens)
KILLS = [
    (3.0, "fan-out worker 1", signal.SIGKILL),
    (8.0, "outbox relay", signal.SIGKILL),
    (23.0, "write service", signal.SIGKILL),
    (29.0, "redis", signal.SIGKILL),  # restarted empty: every timeline, cache entry and limit is gone
]
BROKER_STOP_AT_S = 13.0


def faults(stack, started: float, done: list[str]) -> None:
    """Deliver the faults on schedule (the supervisor restarts what was killed)."""
    schedule = sorted([*KILLS, (BROKER_STOP_AT_S, "broker", signal.SIGSTOP)])
    for at, name, sig in schedule:
        time.sleep(max(0.0, started + at - time.monotonic()))
        if name == "broker":
            broker = next(p for p in stack.processes if p.name.startswith("kafka"))
            broker.signal(signal.SIGSTOP)
            time.sleep(BROKER_STOP_S)
            broker.signal(signal.SIGCONT)
        else:
            stack.process(name).signal(sig)
        done.append(name)


def every_page(read_page) -> list:
    posts, token = [], ""
    for _ in range(1000):
        page = read_page(token)
        posts += list(page.posts)
        token = page.next_page_token
        if not token:
            return posts
    raise AssertionError("paging did not end")


def test_every_accepted_write_reaches_every_timeline_through_kills_stops_and_a_redis_restart(tmp_path_factory):
    data = tmp_path_factory.mktemp("chaos")
    # Timelines long enough for every post the workload makes: the model knows no cut at timeline_max.
    settings = isolated_settings(
        data, kafka_timeout_s=2.0, write_rate_per_s=1000.0, write_burst=1000, timeline_max=TIMELINE_MAX
    )
    stack = start_stack(settings, data, workers=2)
    said: list[str] = []
    stop = threading.Event()
    supervisor = threading.Thread(target=Supervisor(stack, said.append).run, args=(stop,), daemon=True)
    supervisor.start()
    client = Client(stack.settings.write_addr, stack.settings.read_addr, stack.keys)
    try:
        users = [new_user() for _ in range(USERS)]
        for user in users[::2]:
            client.home(user)  # half the timelines exist in Redis before the faults, half are rebuilt
        done: list[str] = []
        chaos = threading.Thread(target=faults, args=(stack, time.monotonic(), done), daemon=True)
        chaos.start()
        outcome = Workload(client, users, seed=19).run(WORKLOAD_S)
        chaos.join(60)
        assert len(done) == len(KILLS) + 1, f"faults delivered: {done}"
        assert outcome.retried > 0  # the faults were felt: calls failed and were retried

        eventually(lambda: all(p.alive() for p in stack.processes), timeout_s=60)  # the supervisor restarted all
        for name in ("fan-out worker 1", "outbox relay", "write service", "redis"):
            assert any(line.startswith(f"{name} restarted") for line in said), said
        eventually(lambda: drained(stack), timeout_s=DRAIN_S)

        model = outcome.model
        for author in users:  # each post the store kept, exactly once; unsure ones join the model
            texts = collections.Counter(
                p.text for p in every_page(lambda t, a=author: client.user_timeline(a, 100, t)) if not p.group_id
            )
            assert all(n == 1 for n in texts.values()), f"a post shows twice: {texts}"
        by_text = {
            p.text: p for author in users for p in every_page(lambda t, a=author: client.user_timeline(a, 100, t))
        }
        for author, text in outcome.unsure:
            if text in by_text:
                model.posts[by_text[text].post_id] = author
                model.post_group[by_text[text].post_id] = 0
        for text, post_id in outcome.keyed.items():
            if not text.startswith("group") and post_id not in model.deleted:
                assert by_text[text].post_id == post_id  # the retried keyed call got the stored post

        for user in users:
            try:
                eventually(lambda u=user: client.home_ids(u) == model.home(u), timeout_s=30)
            except AssertionError:
                shown, expected = client.home_ids(user), model.home(user)
                missing = [(p, model.posts[p], model.post_group.get(p)) for p in expected if p not in shown]
                extra = [(p, model.posts.get(p), p in model.deleted) for p in shown if p not in expected]
                raise AssertionError(f"user {user}: missing (post, author, group) {missing}; extra {extra}") from None
    finally:
        client.close()
        stop.set()
        supervisor.join(10)
        codes = stack.stop()
    assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"
