"""What one timeline read found: the reply shape of the tl_page Redis function."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class TimelinePage:
    """What a timeline read found: state, ids newest first, and whether more exist."""

    state: str  # "missing", "building" or "ready"
    ids: list[int]
    more: bool


_STATES = {0: "missing", 1: "building", 2: "ready"}


def parse_page(reply: list[Any]) -> TimelinePage:
    """A tl_page answer {state, more, ids...} as a TimelinePage."""
    return TimelinePage(_STATES[int(reply[0])], [int(x) for x in reply[2:]], bool(int(reply[1])))
