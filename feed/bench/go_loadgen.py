"""Which load generator drives the bench: the Go one (loadgen/) when it builds, else feed.bench.loadgen.

The Python load generator costs about 250 us of CPU a call: half a core at 2,000 calls/s, taken
from the read replicas it measures on a two-core machine. The Go one sends the same calls for
a fraction of that. It never decodes a protobuf: this module mints the tokens (the same keys
and issued_at as the Python one) and serializes the requests, and the Go program sends those
bytes. Both print the same JSON; the floor server and the read replicas are always driven by
the same one, so the floor ratio compares like with like.

FEED_BENCH_LOADGEN (or `feed bench --loadgen`) chooses: "auto" (default: Go when `go` is on
PATH and the program builds, else Python with one warning line), "go" or "python".
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from feed.bench.channels import keys_of
from feed.bench.loadgen import PAGE_SIZE
from feed.loadkit.tokens import TokenProvider
from feed.v1 import feed_service_pb2, post_service_pb2

LOADGEN_ENV = "FEED_BENCH_LOADGEN"
CHOICES = ("auto", "go", "python")
SOURCE = Path(__file__).resolve().parents[2] / "loadgen"  # absent when feed runs from an installed wheel
BINARY = SOURCE.parent / "var" / "bin" / "feed-loadgen"
BUILD_TIMEOUT_S = 600.0  # a first build compiles grpc-go: 88 s here (47 s of CPU), on two loaded cores


def chosen() -> str:
    """The load generator this process starts, "go" or "python" (building the Go one on first use)."""
    mode = os.environ.get(LOADGEN_ENV) or "auto"
    if mode not in CHOICES:
        raise ValueError(f"{LOADGEN_ENV}={mode!r}: expected one of {', '.join(CHOICES)}")
    if mode == "python":
        return "python"
    if built() is not None:
        return "go"
    if mode == "go":
        raise RuntimeError(f"{LOADGEN_ENV}=go, but the Go load generator could not be built (see above)")
    return "python"


def go_command() -> str | None:
    """The go command: the one `make deps` installed into this virtualenv (scripts/install-go.sh: it
    does so only when the one on PATH is missing or too old), else the one on PATH; None without either."""
    venv_go = Path(sys.executable).parent / "go"
    return str(venv_go) if os.access(venv_go, os.X_OK) else shutil.which("go")


@functools.cache
def built() -> Path | None:
    """The Go load generator, built once per process (go build itself skips what has not changed);
    None, after one warning line on stderr, when it cannot be built."""
    go = go_command()
    why = "go is not on PATH (make deps installs one)" if go is None else None
    if go is not None and not (SOURCE / "go.mod").is_file():
        why = f"no Go sources at {SOURCE}"
    if why is None:
        try:
            BINARY.parent.mkdir(parents=True, exist_ok=True)
            args = [go, "build", "-buildvcs=false", "-o", str(BINARY), "."]  # no VCS stamp: no git needed
            subprocess.run(args, cwd=SOURCE, check=True, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
            return BINARY
        except subprocess.CalledProcessError as error:
            why = " ".join(error.stderr.split())[-300:]
        except (OSError, subprocess.TimeoutExpired) as error:
            why = str(error)
    print(f"feed bench: no Go load generator ({why}); auto falls back to the Python one", file=sys.stderr)
    return None


def start(spec: dict[str, Any]) -> subprocess.Popen:
    """Start the Go load generator on the bench's spec; its answer is read as the Python one's."""
    binary = built()
    if binary is None:
        raise RuntimeError("the Go load generator could not be built (see above)")
    with tempfile.TemporaryFile("w+") as spec_file:  # no name to clean up; large specs pass whole
        json.dump(go_spec(spec), spec_file)
        spec_file.seek(0)
        return subprocess.Popen(
            [str(binary), "-"], stdin=spec_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )


def go_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The bench's spec plus its calls ready to send: "reads", one per reader (the Go program picks
    one at random per call), and "posts" when post_rate > 0 (sent in order), as feed.bench.loadgen builds them."""
    tokens = TokenProvider(keys_of(spec["secret_file"]), issued_at=spec.get("tokens_issued_at"))
    reads = [
        _call(tokens, user, feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=PAGE_SIZE))
        for user in spec["readers"]
    ]
    out = {**spec, "reads": reads}
    if spec.get("post_rate"):
        count = int(float(spec["post_rate"]) * float(spec["duration_s"]))
        authors = spec["authors"]
        turn = itertools.cycle(random.Random(2).sample(authors, len(authors)))  # loadgen.post_sender's order
        out["posts"] = [
            _call(tokens, author, post_service_pb2.CreatePostRequest(author_id=author, text=f"load post {n}"))
            for n, author in zip(range(count), turn, strict=False)
        ]
    return out


def _call(tokens: TokenProvider, user: int, request: Any) -> dict[str, str]:
    """One call for the Go program: its authorization value and its request, serialized, in base64."""
    authorization = tokens.metadata(user)[0][1]
    return {"authorization": authorization, "request": base64.b64encode(request.SerializeToString()).decode()}
