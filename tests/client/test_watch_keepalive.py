"""watch() over a connection that goes silent: keepalive pings notice, and it resumes; and the stream
server accepts those pings on a quiet stream instead of closing the connection (too_many_pings)."""

from __future__ import annotations

import time

import pytest

from feed.client import FeedClient
from feed.client.tokens import DevTokens
from tests.client.blackhole_proxy import BlackholeProxy
from tests.client.test_watch_resumes import Reader
from tests.integration.stack import eventually, new_user

pytestmark = pytest.mark.integration

KEEPALIVE_S = 6.0  # above the stream server's 5 s minimum; its timeout is a third of it
PINGS_BEFORE_GOAWAY = 4  # gRPC's default policy closes a connection pinged this often by its third or fourth
DETECT_WITHIN_S = 3 * KEEPALIVE_S + 10  # a ping, its timeout, the reconnect and the catch-up, on a loaded machine


def test_a_watch_through_a_connection_that_goes_silent_notices_and_resumes_without_a_loss(stack):
    s = stack.settings
    proxy = BlackholeProxy(s.stream_addr)
    author, reader = new_user(), new_user()
    client = FeedClient(
        s.write_addr, s.read_addr, proxy.addr, token_source=DevTokens(stack.keys), keepalive_s=KEEPALIVE_S
    )
    watching = None
    try:
        client.follow(reader, author)
        watching = Reader(client.watch(reader, client.home_page(reader).prev_page_token))
        first = client.create_post(author, "before the silence").post_id
        assert watching.wait_for([first]), watching.error
        # A quiet stream, pinged: the server must let the pings be (no GOAWAY, no new connection).
        pinged = proxy.pings + PINGS_BEFORE_GOAWAY
        eventually(lambda: proxy.pings >= pinged, PINGS_BEFORE_GOAWAY * KEEPALIVE_S * 3, interval_s=0.2)
        assert proxy.connections == 1 and watching.error is None, "the quiet stream's connection was closed"

        proxy.blackhole()
        silenced = time.monotonic()
        during = [client.create_post(author, f"during the silence {n}").post_id for n in range(2)]
        assert watching.wait_for(during, DETECT_WITHIN_S + 30), watching.error
        assert time.monotonic() - silenced < DETECT_WITHIN_S, "the silence took too long to notice"
        assert watching.posts == [first, *during]  # each once, in order
        assert proxy.connections >= 2  # it reconnected through the proxy
    finally:
        if watching is not None:
            watching.close()
        client.close()
        proxy.close()
