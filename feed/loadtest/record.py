"""Recording the requests the services serve, into the trace format, for a later replay.

`RecordingInterceptor` sees every unary call a server handles; `TraceRecorder` turns the
request message (never metadata: no token or secret reaches the file) into a record and
hands it to a writer thread through a bounded buffer, so the serving thread never waits
on disk: when the buffer is full the record is dropped and counted.

Sampling is by acting user, not by request: a sampled user's whole session is kept, so
their paging chains and the deletes of their own posts still replay. GetPost names no
user: it is kept when the post it names was recorded.

The caller's organization is the one thing taken from outside the message: the number in
its token's `org` claim, so a replay mints each user's token in the right organization.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from feed.loadtest.messages import BY_PATH, REFERENCING, SPECS, from_request
from feed.loadtest.trace import TraceHeader, TraceWriter, encode

log = logging.getLogger("feed.trace")
BUFFER_MAX = 65_536  # records waiting for the writer thread; beyond it new ones are dropped, never queued
FLUSH_INTERVAL_S = 1.0  # a crash loses at most this much of the recording
CREATED_MAX = 1_000_000  # post (group, filter) id -> ordinal of its CreatePost (...); older ones are forgotten
ROLES = {
    "feed.v1.PostService": "write",
    "feed.v1.GraphService": "write",
    "feed.v1.GroupService": "write",
    "feed.v1.FilterService": "write",
    "feed.v1.FeedService": "read",
}


def sampled(user_id: int, rate: float) -> bool:
    """Whether a user is in the sample: a stable hash, so every process keeps the same users."""
    if rate >= 1.0:
        return True
    x = (user_id * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF  # Fibonacci hashing spreads consecutive ids
    x ^= x >> 31
    return (x & 0xFFFFFFFF) < rate * 0x100000000


class TraceRecorder:
    """Appends served requests to a trace file; thread-safe; `close` writes the rest and the totals."""

    def __init__(self, path: str | Path, sample_rate: float = 1.0, clock: Callable[[], float] = time.monotonic):
        if not 0.0 < sample_rate <= 1.0:
            raise ValueError("sample_rate must be in (0, 1]")
        self.path = Path(path)
        self.sample_rate = sample_rate
        self._clock = clock
        self._start = clock()
        self._lock = threading.Condition()  # guards the buffer and the ordinals
        self._io = threading.Lock()  # guards the file: the writer thread and flush() both write
        self._buffer: list[bytes] = []
        self._ordinal = 0
        self._created: OrderedDict[int, int] = OrderedDict()
        self._groups: OrderedDict[int, int] = OrderedDict()  # group id -> ordinal of its CreateGroup
        self._filters: OrderedDict[int, int] = OrderedDict()  # filter id -> ordinal of its CreateFilter
        self._reposts: OrderedDict[tuple[int, int], int] = OrderedDict()  # (user, post id) -> its Repost's ordinal
        self.skipped: Counter[str] = Counter()  # why requests were left out: "dropped", "DeletePost: ..."
        self._closed = False
        header = TraceHeader(
            source="record", params={"sample_rate": sample_rate}, start_unix_ms=int(time.time() * 1000)
        )
        self._writer = TraceWriter(self.path, header)
        self._thread = threading.Thread(target=self._write_loop, name="trace-writer", daemon=True)
        self._thread.start()

    def record(self, rpc: str, request: Any, org_id: int = 0) -> int | None:
        """Add one served request of a caller in org_id; return its ordinal, or None when it is not recorded."""
        actor = next((v for v in (getattr(request, name) for name in SPECS[rpc].actors) if v), 0)
        if rpc not in REFERENCING and not sampled(actor, self.sample_rate):
            return None
        with self._lock:
            if self._closed:
                return None
            fields = from_request(
                rpc, request, self._created.get, self._groups.get, self._filters.get, self._reposts.get
            )
            if fields is None:
                unknown_group = getattr(request, "group_id", 0) and request.group_id not in self._groups
                noun = "group" if unknown_group else {"DeleteFilter": "filter", "Unrepost": "repost"}.get(rpc, "post")
                self.skipped[f"{rpc}: {noun} not created in this recording"] += 1
                return None
            if rpc == "DeletePost":
                self._created.pop(request.post_id, None)
            elif rpc == "DeleteFilter":
                self._filters.pop(request.filter_id, None)
            elif rpc == "Unrepost":
                self._reposts.pop((request.user_id, request.post_id), None)
            if len(self._buffer) >= BUFFER_MAX:
                self.skipped["dropped: buffer full"] += 1
                return None
            # offset and ordinal under one lock: the file stays in time order across threads
            t = int((self._clock() - self._start) * 1000)
            org = {"org": org_id} if org_id else {}
            self._buffer.append(encode({"t": t, "rpc": rpc, **org, **fields}))
            self._ordinal += 1
            return self._ordinal - 1

    @property
    def requests(self) -> int:
        """Records written so far (all of them once closed)."""
        return self._writer.count

    def created(self, ordinal: int, post_id: int) -> None:
        """The server's id for a recorded CreatePost, so later deletes and gets can name the record."""
        self._remember(self._created, post_id, ordinal)

    def created_group(self, ordinal: int, group_id: int) -> None:
        """The server's id for a recorded CreateGroup, so later group requests can name the record."""
        self._remember(self._groups, group_id, ordinal)

    def created_filter(self, ordinal: int, filter_id: int) -> None:
        """The server's id for a recorded CreateFilter, so a later DeleteFilter can name the record."""
        self._remember(self._filters, filter_id, ordinal)

    def created_repost(self, ordinal: int, user_id: int, post_id: int) -> None:
        """A recorded Repost that succeeded, so a later Unrepost of the same user and post can name the record."""
        self._remember(self._reposts, (user_id, post_id), ordinal)

    def _remember(self, ids: OrderedDict, server_id: object, ordinal: int) -> None:
        with self._lock:
            ids[server_id] = ordinal
            if len(ids) > CREATED_MAX:
                ids.popitem(last=False)

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed, FLUSH_INTERVAL_S)
                lines, self._buffer = self._buffer, []
                closing = self._closed
            self._write(lines)  # outside the buffer lock: serving threads never wait on disk
            if closing:
                return

    def _write(self, lines: list[bytes]) -> None:
        with self._io:
            if lines:
                self._writer.write_encoded(lines)
            self._writer.flush()

    def flush(self) -> None:
        """Write what is buffered now (tests, and before reading a recording still going on)."""
        with self._io, self._lock:
            lines, self._buffer = self._buffer, []
            if lines:
                self._writer.write_encoded(lines)
            self._writer.flush()

    def close(self) -> None:
        """Stop taking records, write the rest and a trailer with the totals; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
        self._thread.join()
        self._writer.write_end({"requests": self._writer.count, "skipped": dict(self.skipped)})
        self._writer.close()
        log.info("trace recorded", extra={"path": str(self.path), "requests": self._writer.count})

    def __enter__(self) -> TraceRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingInterceptor(grpc.ServerInterceptor):
    """Records each feed RPC a server handles; health, reflection and unknown methods pass through."""

    def __init__(self, recorder: TraceRecorder) -> None:
        self._recorder = recorder

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        spec = BY_PATH.get(handler_call_details.method)
        if handler is None or spec is None or handler.unary_unary is None:
            return handler
        inner, recorder, rpc = handler.unary_unary, self._recorder, spec.name
        org_id = org_claim(handler_call_details.invocation_metadata)

        def recorded(request, context):
            ordinal = recorder.record(rpc, request, org_id)  # on arrival: the trace keeps the offered order
            response = inner(request, context)
            if ordinal is not None and response is not None:
                if rpc == "CreatePost":
                    recorder.created(ordinal, response.post_id)
                elif rpc == "CreateGroup":
                    recorder.created_group(ordinal, response.group_id)
                elif rpc == "CreateFilter":
                    recorder.created_filter(ordinal, response.filter_id)
                elif rpc == "Repost":
                    recorder.created_repost(ordinal, request.user_id, request.post_id)
            return response

        return grpc.unary_unary_rpc_method_handler(
            recorded, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )


def org_claim(metadata: Sequence[tuple[str, Any]] | None) -> int:
    """The `org` claim of the call's bearer token, 0 when there is none: the organization the caller
    acts in. The signature is not checked here: in the services the auth interceptor, outside this
    one, has checked it already, and the proxy forwards the token to services that will. Only the
    number is kept, never the token."""
    header = next((v for k, v in metadata or () if k == "authorization"), None)
    parts = header.partition(" ")[2].strip().split(".") if isinstance(header, str) else []
    if len(parts) != 3:
        return 0
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return max(0, int(claims.get("org", 0)))
    except (ValueError, TypeError, AttributeError):  # not a JWT we know: the default organization
        return 0


def recording_interceptors(path: str, sample_rate: float, service_names: Sequence[str]) -> list[grpc.ServerInterceptor]:
    """The interceptors for a server: none when path is empty (FEED_TRACE_RECORD unset).

    Each process writes its own file, named after its role, because two processes cannot
    append to one gzip stream: FEED_TRACE_RECORD=var/trace.jsonl.gz gives
    var/trace.write.jsonl.gz and var/trace.read.jsonl.gz; a "{pid}" in the path is
    replaced too, for several replicas on one disk. `feed replay` takes both files.
    """
    if not path:
        return []
    role = next((ROLES[name] for name in service_names if name in ROLES), "server")
    target = Path(path.replace("{pid}", str(os.getpid())))
    name, dot, ext = target.name.partition(".")
    recorder = TraceRecorder(target.with_name(f"{name}.{role}{dot}{ext}"), sample_rate)
    atexit.register(recorder.close)  # after serve() returns on SIGTERM: the trailer is written
    return [RecordingInterceptor(recorder)]
