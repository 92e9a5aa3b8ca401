"""watch() against real read processes: it resumes by itself, and misses and repeats nothing."""

from __future__ import annotations

import threading
import time

import pytest

from feed.client import FeedClient, PostArrived
from feed.client.tokens import DevTokens, expires_at
from feed.devstack.procs import free_port
from tests.client.stack_client import client_for
from tests.integration.stack import new_user, start_replica, wait_listening

pytestmark = pytest.mark.integration


class Reader:
    """Iterates a watch on a thread of its own and keeps the posts that arrive, in order."""

    def __init__(self, watch) -> None:
        self.watch = watch
        self.posts: list[int] = []
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self.watch:
                if isinstance(event, PostArrived):
                    with self._changed:
                        self.posts.append(event.post.post_id)
                        self._changed.notify_all()
        except BaseException as exc:
            with self._changed:
                self.error = exc
                self._changed.notify_all()

    def wait_for(self, post_ids: list[int], timeout_s: float = 30.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: set(post_ids) <= set(self.posts) or self.error, timeout_s)

    def close(self) -> None:
        self.watch.close()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the watch did not end on close()"


def test_a_watch_resumes_after_its_read_process_restarts_and_misses_nothing(stack, tmp_path):
    stream_addr = f"127.0.0.1:{free_port()}"
    proc, _ = start_replica(stack, "read", tmp_path, stream_addr=stream_addr)
    wait_listening(proc, stream_addr)
    author, reader = new_user(), new_user()
    with client_for(stack, stream_addr=stream_addr) as client:
        client.follow(reader, author)
        watching = Reader(client.watch(reader, client.home_page(reader).prev_page_token))
        try:
            before = client.create_post(author, "before").post_id
            assert watching.wait_for([before]), watching.error
            proc.stop(30)  # SIGTERM: its streams end with UNAVAILABLE (a loaded machine may take a while to exit)
            while_down = [client.create_post(author, f"while down {n}").post_id for n in range(3)]
            proc = proc.again()  # the same addresses
            wait_listening(proc, stream_addr)
            after = client.create_post(author, "after").post_id

            assert watching.wait_for([*while_down, after]), watching.error
            assert watching.posts == [before, *while_down, after]  # each once, in order
        finally:
            watching.close()
            proc.stop()


def test_a_watch_outlives_its_short_lived_tokens(stack):
    author, reader = new_user(), new_user()
    tokens = DevTokens(stack.keys, ttl_s=3)
    s = stack.settings
    with FeedClient(s.write_addr, s.read_addr, s.stream_addr, token_source=tokens) as client:
        client.follow(reader, author)
        first_exp = expires_at(tokens(reader))
        watching = Reader(client.watch(reader, client.home_page(reader).prev_page_token))
        try:
            made = [client.create_post(author, "early").post_id]
            assert watching.wait_for(made), watching.error
            deadline = time.monotonic() + 30
            while time.time() < first_exp + 2 and time.monotonic() < deadline:  # outlive the first token
                made.append(client.create_post(author, "later").post_id)
                assert watching.wait_for(made, 10), watching.error
                time.sleep(0.2)  # pacing the posts over the token's lifetime, not a wait for anything
            assert watching.error is None and watching.posts == made
        finally:
            watching.close()
