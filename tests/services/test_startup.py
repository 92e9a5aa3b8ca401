"""A service with a key it cannot use stops at start with one clear line, instead of failing every call."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("role", ["write", "read"])
def test_a_malformed_public_key_file_stops_the_service_at_start_naming_the_file(tmp_path, redis_url, role):
    key_file = tmp_path / "public.pem"
    key_file.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    env = {
        **os.environ,
        "FEED_STORE": f"sqlite:///{tmp_path / 'feed.db'}",
        "FEED_REDIS_URL": redis_url,  # everything else would start: only the key is wrong
        "FEED_JWT_ALGORITHM": "RS256",
        "FEED_JWT_PUBLIC_KEY_FILE": str(key_file),
        "FEED_WRITE_ADDR": "127.0.0.1:0",
        "FEED_READ_ADDR": "127.0.0.1:0",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "feed.cli", "serve", role],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the service started serving with a key it cannot use")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "FEED_JWT_PUBLIC_KEY_FILE" in lines[0] and str(key_file) in lines[0]
