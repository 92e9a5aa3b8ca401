"""Load tests that replay traffic, recorded or synthetic, against a running stack.

trace (the file format), messages (records <-> requests), graph and generate (synthetic
traces), record and proxy (recorded ones), schedule (open-loop timing), caller (the one
way calls go out), state, stats, visibility and runner (a replay), report (table, plots).
"""

from __future__ import annotations

from feed.errors import FeedError

DEFAULT_WRITE, DEFAULT_READ = "127.0.0.1:50051", "127.0.0.1:50052"
LOADTEST_PACKAGES = ("tqdm", "hdrh", "matplotlib")  # the extra's imports: named when one is missing


def require_extra() -> None:
    """Fail with the install command, not a traceback, when the loadtest extra is not installed."""
    import importlib.util

    missing = [name for name in LOADTEST_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise FeedError(f"missing {', '.join(missing)}: pip install 'feed-fanout[loadtest]'")
