"""Load tests that replay traffic, recorded or synthetic, against a running stack.

trace (the file format), messages (records <-> requests), graph and generate (synthetic
traces), record and proxy (recorded ones), caller (the one way calls go out), state, stats,
visibility and runner (a replay), report (table, plots). Scheduling, latency statistics
and tokens come from the load kit (feed.loadkit), shared with `feed bench`.
"""

from __future__ import annotations

DEFAULT_WRITE, DEFAULT_READ = "127.0.0.1:50051", "127.0.0.1:50052"
