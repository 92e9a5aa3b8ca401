"""The README's "A short tour" still works as written: its python blocks, and the API section's that go
on from them, run in order against a stack of their own (a clean one, as after `make up` on a fresh
clone), and print what they say.

A line `# prints: X` in a block says the block's previous print shows X; the printed lines must
include every X, in the order of the comments.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.architecture.imports import ROOT
from tests.integration.stack import private_stack

pytestmark = pytest.mark.integration

BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PRINTS = re.compile(r"^# prints: (.*)$", re.MULTILINE)


def tour_code() -> str:
    """The python blocks of the README's tour and API sections, joined in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A short tour") : readme.index("## Configuration")]
    blocks = BLOCK.findall(section)
    assert len(blocks) >= 4, "the tour lost its python blocks"
    return "\n".join(blocks)


def test_the_tour_shows_follow_post_timeline_repost_groups_live_stream_and_marker():
    code = tour_code()
    for shown in (
        "follow(",
        "create_post(",
        "home_timeline(",
        "repost(",
        "create_group(",
        "watch(",
        "set_read_marker(",
    ):
        assert shown in code
    assert "feed.v1" not in code and "import grpc" not in code  # the client only


def test_the_tour_runs_as_written_against_a_clean_stack(tmp_path_factory, tmp_path):
    code = tour_code()
    with private_stack(tmp_path_factory, "tour", workers=1) as stack:
        s = stack.settings
        env = {
            **os.environ,
            "FEED_WRITE_ADDR": s.write_addr,
            "FEED_READ_ADDR": s.read_addr,
            "FEED_STREAM_ADDR": s.stream_addr,
            "FEED_JWT_SECRET_FILE": s.jwt_secret_file,  # what var/jwt.secret is to `make up`
        }
        ran = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
    assert ran.returncode == 0, ran.stderr
    printed = iter(ran.stdout.splitlines())
    for expected in PRINTS.findall(code):
        assert any(line == expected for line in printed), f"{expected!r} not printed in order:\n{ran.stdout}"
