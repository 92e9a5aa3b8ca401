"""The trace format: gzip'd JSON Lines, one header then one record per request.

See docs/trace-format.md. Readers and writers stream record by record, so a trace of
millions of requests never has to fit in memory; gzip keeps it to a few bytes a request
and any tool (`zcat trace.jsonl.gz | jq`) can read it.
"""

from __future__ import annotations

import dataclasses
import gzip
import heapq
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from feed.errors import FeedError

FORMAT = "feed-trace"
VERSION = 1
RPCS = (
    "CreatePost",
    "DeletePost",
    "GetPost",
    "Follow",
    "Unfollow",
    "Block",
    "Unblock",
    "ListFollowers",
    "ListFollowing",
    "GetHomeTimeline",
    "GetUserTimeline",
    "CreateGroup",
    "GetGroup",
    "JoinGroup",
    "LeaveGroup",
    "ListGroupMembers",
    "ListMyGroups",
    "GetGroupTimeline",
    "Mute",
    "Unmute",
    "CreateFilter",
    "DeleteFilter",
    "Repost",
    "Unrepost",
)
WRITE_BATCH = 512  # records per compressor call: one call per line costs more than the JSON encoding

Record = dict[str, Any]  # {"t": ms offset, "rpc": name, "org": the actor's org (absent: 0), ...the request's fields}


class TraceError(FeedError):
    """A trace that is not in the format, with the line that broke it."""


@dataclasses.dataclass
class TraceHeader:
    """The first line: what made the trace and how, so a replay can say what it replayed."""

    source: str  # "generate" or "record"
    seed: int | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)  # {"graph", "stream", "requests"} when known
    start_unix_ms: int | None = None  # wall clock of offset 0; recordings have it, generated traces do not

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TraceHeader:
        if raw.get("format") != FORMAT:
            raise TraceError(f"not a {FORMAT} file (first line has format={raw.get('format')!r})")
        if raw.get("version") != VERSION:
            raise TraceError(f"trace version {raw.get('version')!r}; this tool reads version {VERSION}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


def _open(path: Path, mode: str) -> tuple[IO[bytes], IO[bytes]]:
    """(stream, file): gzip when the name ends in .gz (writing) or the file starts with gzip's
    magic (reading). Both must be closed: a GzipFile never closes a file it was handed."""
    if mode == "wb":
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = open(path, "wb")  # noqa: SIM115 - closed with the writer
        if path.suffix != ".gz":
            return raw, raw
        # no file name and no time in the gzip header: the same seed gives the same bytes
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0), raw  # type: ignore[return-value]
    raw = open(path, "rb")  # noqa: SIM115 - closed by the reader
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    return raw, raw


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


class TraceWriter:
    """Appends records to a trace file; `write` returns the record's ordinal (0 is the first request)."""

    def __init__(self, path: str | Path, header: TraceHeader) -> None:
        self.path = Path(path)
        self._file, self._raw = _open(self.path, "wb")
        self._pending: list[bytes] = [encode(header.to_json())]
        self.count = 0

    def write(self, record: Record) -> int:
        self._pending.append(encode(record))
        if len(self._pending) >= WRITE_BATCH:
            self._drain()
        self.count += 1
        return self.count - 1

    def write_encoded(self, lines: list[bytes]) -> None:
        """Lines already encoded (the recorder encodes under its own lock); they count as records."""
        self._drain()
        self._file.write(b"".join(lines))
        self.count += len(lines)

    def write_end(self, summary: dict[str, Any]) -> None:
        """The optional last line: totals only known at the end (a recording's skipped requests)."""
        self._pending.append(encode({"end": True, **summary}))

    def _drain(self) -> None:
        if self._pending:
            self._file.write(b"".join(self._pending))
            self._pending.clear()

    def flush(self) -> None:
        """Make everything written so far readable, even if the process dies before close."""
        self._drain()
        self._file.flush()  # a gzip sync flush: the bytes so far decompress on their own

    def close(self) -> None:
        self._drain()
        self._file.close()
        self._raw.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TraceReader:
    """Iterates the records of one trace, checking each as it goes; `end` holds the trailer once read."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._file, self._raw = _open(self.path, "rb")
        except OSError as exc:
            raise TraceError(f"{path}: {exc.strerror}") from None
        first = self._file.readline()
        if not first:
            raise TraceError(f"{path}: empty file")
        try:
            self.header = TraceHeader.from_json(json.loads(first))
        except (ValueError, TypeError) as exc:
            raise TraceError(f"{path}:1: bad header: {exc}") from None
        self.end: dict[str, Any] | None = None
        self.truncated = False  # a recording cut by a crash: everything before its last flush is read

    def __iter__(self) -> Iterator[Record]:
        last_t = 0
        line_no = 1
        try:
            for line in self._file:
                line_no += 1
                record = self._parse(line, line_no)
                if record.get("end"):
                    self.end = record
                    return
                if record["t"] < last_t:
                    raise TraceError(f"{self.path}:{line_no}: offset {record['t']} goes back from {last_t}")
                last_t = record["t"]
                yield record
        except (EOFError, gzip.BadGzipFile, io.UnsupportedOperation):
            self.truncated = True

    def _parse(self, line: bytes, line_no: int) -> Record:
        try:
            record = json.loads(line)
        except ValueError:
            raise TraceError(f"{self.path}:{line_no}: not JSON") from None
        if not isinstance(record, dict):
            raise TraceError(f"{self.path}:{line_no}: a record must be a JSON object")
        if record.get("end"):
            return record
        if record.get("rpc") not in RPCS:
            raise TraceError(f"{self.path}:{line_no}: unknown rpc {record.get('rpc')!r}")
        if not isinstance(record.get("t"), int) or record["t"] < 0:
            raise TraceError(f"{self.path}:{line_no}: t must be a non-negative integer of milliseconds")
        return record

    def close(self) -> None:
        self._file.close()
        self._raw.close()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def merge(readers: list[TraceReader]) -> Iterator[tuple[int, int, Record]]:
    """(source index, ordinal in its source, record) of several traces in one time order.

    Recordings of the write and the read service are aligned on their wall-clock start;
    traces without one (generated) all start at 0. Offsets are rebased so the first
    request is due at 0: a recording's idle lead-in is not replayed. Lazy: one record
    per source is held at a time.
    """
    starts = [r.header.start_unix_ms for r in readers]
    base = [0] * len(readers) if None in starts else [s - min(starts) for s in starts]  # type: ignore[operator]

    def tagged(index: int) -> Iterator[tuple[int, int, int, Record]]:
        for ordinal, record in enumerate(readers[index]):
            yield record["t"] + base[index], index, ordinal, record

    first: int | None = None
    for t, index, ordinal, record in heapq.merge(*(tagged(i) for i in range(len(readers))), key=lambda x: x[0]):
        first = t if first is None else first
        yield index, ordinal, {**record, "t": t - first} if t != record["t"] or first else record
