"""Read markers: where each user stopped reading their home timeline, kept in the durable store.

A marker is the user's own bookmark, shared by all their devices. Each carries a
version; a set names the version its caller last saw and succeeds only if that is
still the current one (compare-and-set), so a device that is behind cannot move
another device's newer position back without first reading it. Kept in the store,
not in Redis: losing Redis loses no marker.
"""

from __future__ import annotations

import abc
import dataclasses

from feed.errors import Aborted, InvalidArgument

NO_VERSION = 0  # the version of a user who never set a marker: what a first set names
MAX_VERSION = (1 << 63) - 1  # versions are signed 64-bit in every backend: no set moves past it


@dataclasses.dataclass(frozen=True)
class Marker:
    """One user's read position: the post they read up to, its version, when it was set (ms)."""

    post_id: int
    version: int
    update_time_ms: int


def require_version(expected: int) -> int:
    """A version a set may name: one a marker can be at and still move on from."""
    if not NO_VERSION <= expected < MAX_VERSION:
        raise InvalidArgument(f"version must be between {NO_VERSION} and {MAX_VERSION - 1}, got {expected}")
    return expected


def stale_version(current: int, expected: int) -> Aborted:
    """The refusal of a set naming a version that is no longer current; says which one is."""
    return Aborted(
        f"the read marker is at version {current}, not {expected}; read it again (GetReadMarker) and set from there"
    )


class MarkerStore(abc.ABC):
    """One read marker per user, changed only by compare-and-set on its version."""

    @abc.abstractmethod
    def get_marker(self, user_id: int) -> Marker | None:
        """The user's marker, or None if they never set one."""

    @abc.abstractmethod
    def set_marker(self, user_id: int, post_id: int, expected_version: int, now_ms: int) -> Marker:
        """Move the marker to post_id if its version is still expected_version (NO_VERSION: none set
        yet), as one atomic step; return it at version expected_version + 1. Raise Aborted
        (stale_version) otherwise: of concurrent sets naming one version, exactly one wins.
        A version no marker can move on from is InvalidArgument (require_version)."""

    @abc.abstractmethod
    def purge_marker(self, user_id: int) -> None:
        """Erase the user's marker (an organization's deletion)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
