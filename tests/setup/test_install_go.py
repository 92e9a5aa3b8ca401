"""scripts/install-go.sh, which `make deps` runs: Go for the bench's load generator, from the Go module
proxy, only when needed, and never an archive whose digest is not the pinned one."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-go.sh"
SYSTEM_PATH = "/usr/bin:/bin"  # curl, python3, sha256sum, sort: no go here unless a distribution put one


def run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    dest, link = tmp_path / "venv" / "go", tmp_path / "venv" / "bin" / "go"
    return subprocess.run(
        ["sh", str(SCRIPT), str(dest), str(link)],
        env={"HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def proxy():
    """A Go module proxy on loopback that answers every toolchain request with the same bogus archive;
    the requested paths are recorded."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            body = b"PK\x05\x06" + bytes(18)  # an empty zip: a valid archive, not Go
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


@pytest.mark.skipif(os.path.exists("/usr/bin/go"), reason="a distribution's go is on the system PATH")
def test_an_archive_that_is_not_the_pinned_one_is_refused_and_nothing_is_installed(tmp_path, proxy):
    url, asked = proxy
    done = run(tmp_path, {"PATH": SYSTEM_PATH, "GOPROXY": f"{url},direct"})
    assert done.returncode == 1
    assert "does not have its pinned SHA-256" in done.stderr
    assert asked and asked[0].startswith("/golang.org/toolchain/@v/v0.0.1-go")
    assert not (tmp_path / "venv").exists()


@pytest.mark.skipif(os.path.exists("/usr/bin/go"), reason="a distribution's go is on the system PATH")
def test_without_a_proxy_nothing_is_installed_and_make_deps_goes_on(tmp_path):
    done = run(tmp_path, {"PATH": SYSTEM_PATH, "GOPROXY": "off"})
    assert done.returncode == 0 and "Python load generator" in done.stdout
    assert not (tmp_path / "venv").exists()


def test_a_recent_enough_go_on_path_is_used_as_it_is(tmp_path, proxy):
    url, asked = proxy
    fake = tmp_path / "path" / "go"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && echo go9.99.0\n')
    fake.chmod(0o755)
    done = run(tmp_path, {"PATH": f"{fake.parent}:{SYSTEM_PATH}", "GOPROXY": url})
    assert done.returncode == 0, done.stderr
    assert asked == [] and not (tmp_path / "venv").exists()
