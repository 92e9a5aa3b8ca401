"""The load kit `feed bench` and `feed replay` share: one way to schedule, measure and authenticate load.

schedule (open-loop sends at their due times, bounded in flight), stats (latency
distributions on HdrHistogram, and the completions of a run), tokens (bearer tokens per
acting user and organization, minted once). Starting and stopping the processes under
load is feed.devstack.procs. A tool package: no service or worker process imports it.
"""

from __future__ import annotations

from feed.errors import FeedError

KIT_PACKAGES = ("hdrh",)  # what the kit itself imports beyond the core dependencies
EXTRA_PACKAGES = ("tqdm", "hdrh", "matplotlib")  # the `loadtest` extra's imports: named when one is missing


def require_extra(packages: tuple[str, ...] = EXTRA_PACKAGES) -> None:
    """Fail with the install command, not a traceback, when the loadtest extra is not installed."""
    import importlib.util

    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise FeedError(f"missing {', '.join(missing)}: pip install 'feed-fanout[loadtest]'")
