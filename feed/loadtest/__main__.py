"""`python -m feed.loadtest trace ...|replay ...`: the same commands as `feed trace` and `feed replay`."""

from __future__ import annotations

import sys

from feed.cli import main

if __name__ == "__main__":
    if (sys.argv[1:2] or [""])[0] not in ("trace", "replay"):
        sys.exit("usage: python -m feed.loadtest trace|replay ...")
    sys.exit(main(sys.argv[1:]))
