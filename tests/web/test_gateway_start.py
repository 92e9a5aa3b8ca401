"""The local stack's wait for its web gateway: it must be that gateway that serves, not whatever
holds the port (a gateway left over from an earlier `feed up`, another program)."""

from __future__ import annotations

import http.server
import threading

import httpx
import pytest

from feed.devstack.stack import start_gateway
from tests.integration.stack import isolated_settings

pytestmark = pytest.mark.integration


class _Healthy(http.server.BaseHTTPRequestHandler):
    """Another process's server on the gateway's port: it answers every GET 200 "ok"."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def port_taken():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_gateway_that_cannot_take_its_port_fails_the_start_even_if_something_answers_there(tmp_path, port_taken):
    settings = isolated_settings(tmp_path, web_addr=port_taken)
    with pytest.raises(RuntimeError, match="web gateway exited"):
        proc = start_gateway(settings, tmp_path)
        proc.stop()  # reached only when the wait was fooled


def test_a_started_gateway_is_the_one_that_answers_its_health_probe(tmp_path):
    settings = isolated_settings(tmp_path)
    proc = start_gateway(settings, tmp_path)
    try:
        assert proc.alive()
        answer = httpx.get(f"http://{settings.web_addr}/healthz", timeout=15)
        assert answer.status_code == 200
        assert answer.headers["x-feed-pid"] == str(proc.pid)
    finally:
        proc.stop()
