"""Read markers in Cassandra: one row per user in read_markers (feed/store/cassandra/cql/005_markers.cql).

Every set is a lightweight transaction on the user's row, so the version check and
the write are one Paxos round: INSERT ... IF NOT EXISTS for a first marker, UPDATE ...
IF version = ? after. A refused one answers with the row as it is, whose version goes
into the refusal. An LWT is never retried by the driver (a retry of an applied one
reports "not applied"): a timeout reaches the client as UNAVAILABLE, and it re-reads.
"""

from __future__ import annotations

from typing import Any

from feed.store.cassandra.session import CassandraSession
from feed.store.markers import NO_VERSION, Marker, MarkerStore, require_version, stale_version


class CassandraMarkerStore(MarkerStore):
    """Markers compared and set by LWT on their version."""

    def __init__(self, db: CassandraSession) -> None:
        self._db = db

    def get_marker(self, user_id: int) -> Marker | None:
        row = self._db.execute("marker.select", (user_id,)).one()
        return None if row is None else Marker(row.post_id, row.version, row.update_time_ms)

    def set_marker(self, user_id: int, post_id: int, expected_version: int, now_ms: int) -> Marker:
        require_version(expected_version)
        marker = Marker(post_id, expected_version + 1, now_ms)
        if expected_version == NO_VERSION:
            claim = self._db.execute("marker.create", (user_id, post_id, marker.version, now_ms))
        else:
            claim = self._db.execute("marker.move", (post_id, marker.version, now_ms, user_id, expected_version))
        if not claim.was_applied:
            raise stale_version(_version_of(claim.one()), expected_version)
        return marker

    def purge_marker(self, user_id: int) -> None:
        self._db.execute("marker.delete", (user_id,))

    def close(self) -> None:
        self._db.close()


def _version_of(row: Any) -> int:
    """The current version in a refused LWT's answer: the row's, or none when there is no row."""
    version = getattr(row, "version", None)
    return NO_VERSION if version is None else version
