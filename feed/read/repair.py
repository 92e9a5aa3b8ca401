"""Read repair: ids a home page hid for good are taken out of the reader's Redis timeline.

A lost PostDeleted, or an unfollow, leave or block whose removal the workers
never applied, would otherwise leave ids that every read fetches, hydrates and
drops again, and that take a place among the timeline's bounded entries. Only
what can never be shown again goes: deleted or unknown posts, posts of another
organization, of authors no longer followed, of groups left, of blocked
authors (the filter stages marked for_good). Hidden for a while (a mute, say)
is not for good, and neither is a post merely missing from the cache (hydration
asks the store then).

Fire and forget: the removal runs on one background thread, at most
MAX_IDS_PER_PAGE ids per page and MAX_PENDING pages queued; what is over the
bound is skipped, and errors are ignored; both are counted in
feed_read_repair_ids_total. A skipped id is met, and repaired, by a later read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from feed.telemetry import metrics
from feed.timeline.store import TimelineStore

log = logging.getLogger("feed.read")
MAX_IDS_PER_PAGE = 20  # ids one page read may remove
MAX_PENDING = 100  # pages whose removal is queued or running; past it, repairs are skipped
_REMOVED = metrics.READ_REPAIRS.labels("removed")
_FAILED = metrics.READ_REPAIRS.labels("failed")
_SKIPPED = metrics.READ_REPAIRS.labels("skipped")


class ReadRepair:
    """Removes ids hidden for good from readers' home timelines, in the background."""

    def __init__(self, timelines: TimelineStore, max_pending: int = MAX_PENDING) -> None:
        self._timelines = timelines
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="read-repair")
        self._slots = threading.BoundedSemaphore(max_pending)

    def remove(self, user_id: int, post_ids: Sequence[int], org_id: int = 0) -> None:
        """Queue the removal of up to MAX_IDS_PER_PAGE of post_ids from the user's timeline; never blocks."""
        if not post_ids:
            return
        chosen = list(post_ids[:MAX_IDS_PER_PAGE])
        if not self._slots.acquire(blocking=False):
            _SKIPPED.inc(len(post_ids))
            return
        if len(post_ids) > len(chosen):
            _SKIPPED.inc(len(post_ids) - len(chosen))
        self._pool.submit(self._remove, user_id, chosen, org_id)

    def _remove(self, user_id: int, post_ids: list[int], org_id: int) -> None:
        try:
            # Race: a follow (or join) stored after this page's guard query may have merged a post
            # of that author back meanwhile; its removal here hides it until the next rebuild. The
            # window is one read's length, and the post stays readable on the author's timeline.
            _REMOVED.inc(self._timelines.remove([user_id], post_ids, org_id))
        except Exception as exc:
            _FAILED.inc(len(post_ids))
            log.debug("read repair failed: %s", type(exc).__name__)
        finally:
            self._slots.release()
