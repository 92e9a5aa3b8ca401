"""Structured logging: one JSON object per line on stderr, from python-json-logger.

Log records carry ids and counts, never post text, tokens or secrets. A line
written while a request is handled carries its `request_id` (feed.telemetry.request_context)
and, when tracing is on and a span is current, its `trace_id` and `span_id`
(feed.telemetry.tracing), so one grep, or one click from a trace, follows a call from the
gRPC edge to the worker that applied it. The fields are ts, level, process, logger, msg,
request_id, trace_id, span_id, then whatever the call passed with `extra=` (which wins), and
exc for an exception.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

from feed.telemetry import tracing
from feed.telemetry.request_context import current_request_id


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger's formatter with our field names and the request and trace ids."""

    def __init__(self, process_name: str) -> None:
        self._process = process_name
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "message": "msg", "exc_info": "exc"},
            json_default=str,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["ts"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        log_data["level"] = record.levelname.lower()
        log_data["process"] = self._process
        super().add_fields(log_data, record, message_dict)
        log_data["level"] = record.levelname.lower()  # the library wrote the record's upper-case name
        request_id = current_request_id()
        if request_id and "request_id" not in log_data:  # extra= wins
            log_data["request_id"] = request_id
        if tracing.enabled() and "trace_id" not in log_data:
            ids = tracing.current_ids()
            if ids is not None:
                log_data["trace_id"], log_data["span_id"] = ids


def configure(process_name: str, level: str = "INFO") -> None:
    """Send this process's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
