"""`feed replay`: send a trace's requests to a running stack on the trace's schedule and measure.

The scheduler decides when (open loop, bounded in flight); this module decides what:
it turns each record into a request (filling in server-assigned post and group ids and page
tokens from `ReplayState`), sends it through the `Caller`, and on each answer records
the latency from the due time, learns what later records need, and offers new posts to
the visibility probe. The trace is read lazily: memory does not grow with its length.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import grpc
from tqdm import tqdm

from feed.loadkit.schedule import InFlight, OpenLoopScheduler
from feed.loadtest.caller import Caller, DryCaller, MetadataProvider, no_metadata
from feed.loadtest.messages import REF_FIELDS, SPECS, actor_of, org_of, to_request
from feed.loadtest.state import MemberKey, ReplayState
from feed.loadtest.stats import ReplayStats
from feed.loadtest.trace import Record, TraceReader, merge
from feed.loadtest.visibility import VisibilityProbe
from feed.shutdown import Stop

T = TypeVar("T")
Queued = tuple[list[MemberKey], "Future[None]"]  # the member queue entry a request holds while in flight
DRAIN_TIMEOUT_S = 60.0  # after the last send; every call has its own deadline well within this


@dataclasses.dataclass(frozen=True)
class ReplayOptions:
    """How to replay; the CLI flags one to one."""

    target_write: str = "127.0.0.1:50051"
    target_read: str = "127.0.0.1:50052"
    speed: float = 1.0
    concurrency: int = 256
    visibility_sample: float = 0.05
    duration_limit_s: float | None = None
    dry_run: bool = False
    timeout_s: float = 10.0
    window_s: float = 1.0
    seed: int = 0
    progress: bool = True


class Replay:
    """One replay run of one or more traces (a write and a read recording are merged in time)."""

    def __init__(
        self,
        paths: list[str | Path],
        options: ReplayOptions,
        metadata: MetadataProvider = no_metadata,
        stop: Stop | None = None,
        clock: Callable[[], float] = time.monotonic,
        caller: Any = None,
    ) -> None:
        """caller: anything with Caller's call/close (tests pass a double); default from the options."""
        self.paths, self.options, self.clock = [Path(p) for p in paths], options, clock
        self.stop = stop or threading.Event()
        if caller is None and options.dry_run:
            caller = DryCaller(metadata)
        elif caller is None:
            caller = Caller(options.target_write, options.target_read, metadata, options.timeout_s)
        self.caller: Any = caller
        self.key_prefix = secrets.token_hex(4) + "-"  # this run's idempotency keys: a rerun creates posts anew
        self.state = ReplayState()
        self.stats = ReplayStats(options.window_s)
        self.slots = InFlight(options.concurrency)
        fraction = 0.0 if options.dry_run else options.visibility_sample
        self.visibility = VisibilityProbe(self.caller.call, fraction, options.seed, clock=clock)

    def run(self) -> dict[str, Any]:
        """Replay to the end (or the duration limit, or stop); return the result for the JSON file."""
        with ExitStack() as stack:
            readers = [stack.enter_context(TraceReader(p)) for p in self.paths]
            total = sum(r.header.counts.get("requests", 0) for r in readers) or None
            bar = stack.enter_context(
                tqdm(total=total, unit="req", desc="replay", disable=None if self.options.progress else True)
            )
            scheduler = OpenLoopScheduler(self.clock, self.stop.wait, self.slots, self.options.speed, self.stop)
            items = ((record["t"] / 1000.0, (src, n, record)) for src, n, record in merge(readers))
            self.stats.start = self.clock()
            scheduler.run(_counted(items, bar), self._dispatch, self.options.duration_limit_s, self.stats.start)
            self.slots.drain(DRAIN_TIMEOUT_S)
            elapsed = self.clock() - self.stats.start
            self.visibility.close()
            self.caller.close()
            self.stats.finish()
            return self._result(readers, elapsed)

    def _dispatch(self, item: tuple[int, int, Record], due: float) -> None:
        src, ordinal, record = item
        self.stats.lag(self.clock() - due)
        self._resolve(src, ordinal, record, due, {})

    def _resolve(self, src: int, ordinal: int, record: Record, due: float, ids: dict[str, int]) -> None:
        """Fill in the server's ids for the post and group the record names, then send it.

        A create still in flight is waited for (the latency still counts from `due`): the
        record comes back here from its future's callback, with the id it got; a create that
        failed, or that the trace never made, skips the record.
        """
        for field in REF_FIELDS:
            if field not in record or field in ids:
                continue
            forget = record["rpc"] == _UNDONE_BY.get(field)
            made = self.state.post((src, record[field]), forget=forget)
            if made is None or made == 0:
                create, noun = _CREATED_BY[field]
                self._skip(record, f"{noun} not created" if made is None else f"its {create} failed")
                return
            if not isinstance(made, int):
                made.add_done_callback(lambda f, fld=field: self._after_create(f, fld, src, ordinal, record, due, ids))
                return
            ids[field] = made
        keys = _member_keys(src, record)
        if not keys:
            self._send(src, ordinal, record, due, ids)
            return
        # One member's requests to one group go in trace order, each after the previous one answered,
        # as a person's would: the trace spaces them by seconds, but a replay that falls behind
        # sends them closer, and a join, a post and a leave could then be applied out of order.
        gate: Future[None] = Future()
        ahead = self.state.queue(keys, gate)
        _when_all(ahead, lambda: self._send(src, ordinal, record, due, ids, (keys, gate)))

    def _after_create(
        self, create: Any, field: str, src: int, ordinal: int, record: Record, due: float, ids: dict[str, int]
    ) -> None:
        rpc = _CREATED_BY[field][0]
        if create.code() == grpc.StatusCode.OK:
            self._resolve(src, ordinal, record, due, {**ids, field: getattr(create.result(), SPECS[rpc].creates)})
        else:
            self._skip(record, f"its {rpc} failed")

    def _skip(self, record: Record, reason: str) -> None:
        self.stats.skip(record["rpc"], reason)
        self.slots.release()

    def _send(
        self, src: int, ordinal: int, record: Record, due: float, ids: dict[str, int], queued: Queued | None = None
    ) -> None:
        """Send; queued: the member queue entry this request holds until it is answered (or not sent)."""
        rpc = record["rpc"]
        group_id = ids.get("group_ref", 0)
        token = self.state.token(rpc, record["user_id"], _scope(src, record)) if record.get("next") else ""
        try:
            post_id = ids.get("post_ref") or ids.get("repost_ref", 0)  # an Unrepost names the post by its Repost
            request = to_request(record, post_id, token, self.key_prefix, group_id, ids.get("filter_ref", 0))
        except (KeyError, TypeError, ValueError) as exc:  # a hand-edited or foreign trace: say so, go on
            self._skip(record, f"bad record ({type(exc).__name__}: {exc})")
            self._leave_queue(queued)
            return
        sent_at = self.clock()
        future = self.caller.call(rpc, request, actor_of(record), org_of(record))
        if queued is not None:
            future.add_done_callback(lambda _: self._leave_queue(queued))
        if SPECS[rpc].creates:
            self.state.creating((src, ordinal), future)
        future.add_done_callback(lambda f: self._answered(f, src, ordinal, record, due, sent_at))

    def _leave_queue(self, queued: Queued | None) -> None:
        if queued is not None:
            keys, gate = queued
            self.state.dequeue(keys, gate)
            gate.set_result(None)  # runs the next request of the same member and group

    def _answered(self, future: Any, src: int, ordinal: int, record: Record, due: float, sent_at: float) -> None:
        now = self.clock()
        code = future.code()
        try:
            self.stats.record(record["rpc"], now - due, "OK" if code == grpc.StatusCode.OK else code.name, now)
            if code == grpc.StatusCode.OK:
                self._learn(future.result(), src, ordinal, record, sent_at)
            elif SPECS[record["rpc"]].creates:
                self.state.created((src, ordinal), 0)
        finally:
            self.slots.release()

    def _learn(self, response: Any, src: int, ordinal: int, record: Record, sent_at: float) -> None:
        """What a successful answer tells later records."""
        rpc = record["rpc"]
        if rpc == "CreateGroup":
            self.state.created((src, ordinal), response.group_id)
        elif rpc == "CreateFilter":
            self.state.created((src, ordinal), response.filter_id)
        elif rpc == "Repost":
            self.state.created((src, ordinal), response.post_id)  # the original's: what its Unrepost names
        elif rpc == "CreatePost":
            self.state.created((src, ordinal), response.post_id)
            author = record["author_id"]
            if "group_ref" in record:  # reaches the group's members, not the followers: the author is one
                reader = author if self.state.is_warm(author) else None
            else:
                reader = self.state.reader_for(author)
            self.visibility.offer(response.post_id, sent_at, reader, org_of(record))
        elif rpc == "Follow":
            self.state.followed(record["follower_id"], record["followee_id"])
        elif rpc == "Unfollow":
            self.state.unfollowed(record["follower_id"], record["followee_id"])
        elif rpc in ("Mute", "Unmute"):
            (self.state.hides if rpc == "Mute" else self.state.shows)(record["muter_id"], record["muted_id"])
        elif rpc in ("Block", "Unblock"):
            change = self.state.hides if rpc == "Block" else self.state.shows
            blocker, blocked = record.get("blocker_id", 0), record.get("blocked_id", 0)
            change(blocker, blocked)
            change(blocked, blocker)
        elif "user_id" in record and hasattr(response, "next_page_token"):
            self.state.paged(rpc, record["user_id"], response.next_page_token, _scope(src, record))
            if rpc == "GetHomeTimeline":
                self.state.read_home(record["user_id"])

    def _result(self, readers: list[TraceReader], elapsed: float) -> dict[str, Any]:
        stats = self.stats.to_json()
        return {
            **stats,
            "duration_s": round(elapsed, 3),
            "throughput_rps": round(stats["requests"] / elapsed, 1) if elapsed > 0 else 0.0,
            "concurrency_waits": self.slots.waits,
            "visibility": self.visibility.to_json(),
            "options": {**dataclasses.asdict(self.options), "traces": [str(p) for p in self.paths]},
            "trace_headers": [r.header.to_json() for r in readers],
            "trace_truncated": any(r.truncated for r in readers),
            "windows": self.stats.windows,
        }


# ref field: the request after which nothing names it again (a deleted post or filter, an undone repost)
_UNDONE_BY = {"post_ref": "DeletePost", "filter_ref": "DeleteFilter", "repost_ref": "Unrepost"}
_CREATED_BY = {  # ref field: its create
    "post_ref": ("CreatePost", "post"),
    "group_ref": ("CreateGroup", "group"),
    "filter_ref": ("CreateFilter", "filter"),
    "repost_ref": ("Repost", "repost"),
}


def _member_keys(src: int, record: Record) -> list[MemberKey]:
    """The (group, member) pairs whose requests a record's must follow: its actor's and, for an
    invitation, the invitee's."""
    if "group_ref" not in record:
        return []
    users = {actor_of(record), record.get("user_id", 0)} - {0}
    return [(src, record["group_ref"], user) for user in sorted(users)]


def _when_all(futures: list[Any], then: Callable[[], None]) -> None:
    """Call then once every future is done (at once when there are none), on the thread finishing the last."""
    if not futures:
        then()
        return
    left = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Any) -> None:
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            then()

    for future in futures:
        future.add_done_callback(one_done)


def _scope(src: int, record: Record) -> object:
    """Which list of the rpc and user a page belongs to: the group's, for a group's lists."""
    return (src, record["group_ref"]) if "group_ref" in record else None


def _counted(items: Iterator[T], bar: tqdm, every: int = 256) -> Iterator[T]:
    """Pass items through, moving the progress bar every so many: per item would cost too much."""
    n = 0
    for n, item in enumerate(items, 1):
        yield item
        if n % every == 0:
            bar.update(every)
    bar.update(n % every)
