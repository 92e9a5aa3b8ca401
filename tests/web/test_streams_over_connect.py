"""WatchHomeTimeline through the gateway: a browser's stream sees new posts live, and a
gateway that is told to stop ends its streams cleanly and exits 0."""

from __future__ import annotations

import signal
import subprocess

import pytest

from feed.access.tokens import mint
from feed.devstack.procs import free_port
from feed.web.upstream import STREAM_KEEPALIVE_S
from tests.client.blackhole_proxy import BlackholeProxy
from tests.integration.stack import new_user, start_feed_process, wait_listening
from tests.web.streams import ConnectStream

pytestmark = pytest.mark.integration

GRACE_S = 15.0  # the gateway's own grace is 10 s; streams must end long before it


def test_a_connect_stream_sees_a_new_post_of_a_followed_author(web_stack, web_client, web_url):
    author, reader = new_user(), new_user()
    web_client.follow(reader, author)
    stream = ConnectStream(web_url, reader, mint(web_stack.keys, reader))
    try:
        # The stream may not be live upstream yet when the first post goes out: post until one
        # arrives (each lands once the stream is), then check that a later one arrives too.
        posted: list[str] = []
        for n in range(5):  # within the write burst
            posted.append(str(web_client.post(author, f"live {n}").post_id))
            if stream.wait_for(lambda s: bool(s.posts()), 2.0):
                break
        assert stream.posts(), (stream.status, stream.end, stream.failure)
        later = str(web_client.post(author, "later").post_id)
        assert stream.wait_for(lambda s: later in s.posts(), 10.0), stream.posts()
        assert stream.status == 200
        assert set(stream.posts()) <= {*posted, later}
        assert stream.events[-1]["resumeToken"]
    finally:
        stream.close()


def test_a_stream_with_a_bad_token_ends_with_unauthenticated(web_url):
    stream = ConnectStream(web_url, 2, "not-a-token")
    try:
        assert stream.wait_for(lambda s: s.end is not None, 15.0), (stream.status, stream.failure)
        assert stream.error_code() == "unauthenticated"
    finally:
        stream.close()


def test_sigterm_ends_open_streams_with_unavailable_and_the_gateway_exits_0(web_stack, web_client, tmp_path):
    addr = f"127.0.0.1:{free_port()}"
    gateway = start_feed_process(web_stack, "web-sigterm", ["serve", "web"], tmp_path, FEED_WEB_ADDR=addr)
    author, reader = new_user(), new_user()
    web_client.follow(reader, author)
    stream = None
    try:
        wait_listening(gateway, addr)
        stream = ConnectStream(f"http://{addr}", reader, mint(web_stack.keys, reader))
        for n in range(5):  # until the stream is open end to end (within the write burst)
            web_client.post(author, f"before the stop {n}")
            if stream.wait_for(lambda s: bool(s.posts()), 2.0):
                break
        assert stream.posts(), (stream.status, stream.end, stream.failure)
        gateway.signal(signal.SIGTERM)
        assert stream.wait_for(lambda s: s.end is not None, GRACE_S / 2), (stream.end, stream.failure)
        assert stream.error_code() == "unavailable"
        assert gateway.proc.wait(GRACE_S) == 0, gateway.tail()
    except subprocess.TimeoutExpired:
        pytest.fail(f"the gateway did not exit within {GRACE_S}s:\n{gateway.tail()}")
    finally:
        if stream is not None:
            stream.close()
        gateway.stop()


def test_a_quiet_stream_answers_its_headers_at_once_with_a_heartbeat(web_stack, web_url):
    quiet = new_user()  # follows no one: nothing will ever wake this stream
    stream = ConnectStream(web_url, quiet, mint(web_stack.keys, quiet))
    try:
        # A browser (and a proxy's header timeout) needs the response's headers before any post.
        assert stream.wait_for(lambda s: s.status == 200 and bool(s.events), 15.0), (stream.status, stream.failure)
        assert stream.events[0] == {"heartbeat": {}}  # no resumeToken: the client keeps the one it has
        assert stream.end is None
    finally:
        stream.close()


def test_an_idle_stream_gets_heartbeats_and_its_posts_still_carry_their_tokens(web_stack, web_client, tmp_path):
    addr = f"127.0.0.1:{free_port()}"
    env = {"FEED_WEB_ADDR": addr, "FEED_WEB_HEARTBEAT_S": "0.5"}
    gateway = start_feed_process(web_stack, "web-heartbeat", ["serve", "web"], tmp_path, **env)
    author, reader = new_user(), new_user()
    web_client.follow(reader, author)
    stream = None
    try:
        wait_listening(gateway, addr)
        stream = ConnectStream(f"http://{addr}", reader, mint(web_stack.keys, reader))
        assert stream.wait_for(lambda s: s.heartbeats() >= 4, 20.0), (stream.events, stream.end, stream.failure)
        for n in range(5):  # until the stream is live upstream too (within the write burst)
            web_client.post(author, f"after a quiet while {n}")
            if stream.wait_for(lambda s: bool(s.posts()), 3.0):
                break
        assert stream.posts(), stream.events
        arrived = next(event for event in stream.events if "post" in event)
        assert arrived["resumeToken"]
        assert all(set(event) == {"heartbeat"} for event in stream.events if "post" not in event)
        assert stream.end is None and stream.status == 200
    finally:
        if stream is not None:
            stream.close()
        gateway.stop()


def test_a_stream_whose_service_connection_goes_silent_ends_unavailable_despite_its_heartbeats(
    web_stack, web_client, tmp_path
):
    proxy = BlackholeProxy(web_stack.settings.stream_addr)
    addr = f"127.0.0.1:{free_port()}"
    env = {"FEED_WEB_ADDR": addr, "FEED_STREAM_ADDR": proxy.addr, "FEED_WEB_HEARTBEAT_S": "1"}
    gateway = start_feed_process(web_stack, "web-silent-upstream", ["serve", "web"], tmp_path, **env)
    author, reader = new_user(), new_user()
    web_client.follow(reader, author)
    stream = None
    try:
        wait_listening(gateway, addr)
        stream = ConnectStream(f"http://{addr}", reader, mint(web_stack.keys, reader))
        for n in range(5):  # until the stream is open end to end (within the write burst)
            web_client.post(author, f"before the silence {n}")
            if stream.wait_for(lambda s: bool(s.posts()), 3.0):
                break
        assert stream.posts(), (stream.events, stream.end, stream.failure)
        proxy.blackhole()
        within_s = STREAM_KEEPALIVE_S * 2 + 15  # a ping, its answer's timeout, a loaded machine
        assert stream.wait_for(lambda s: s.end is not None, within_s), (stream.heartbeats(), stream.failure)
        assert stream.error_code() == "unavailable"  # the browser resumes from its last resume_token
    finally:
        if stream is not None:
            stream.close()
        gateway.stop()
        proxy.close()
