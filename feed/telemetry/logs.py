"""Structured logging: one JSON object per line on stderr.

Log records carry ids and counts, never post text, tokens or secrets. A line
written while a request is handled carries its `request_id` (feed.telemetry.request_context),
so one grep follows a call from the gRPC edge to the worker that applied it.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from feed.telemetry.request_context import current_request_id


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON line; extra fields passed with `extra=` are kept."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self._process = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "process": self._process,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})  # extra= wins
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(process_name: str, level: str = "INFO") -> None:
    """Send this process's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
