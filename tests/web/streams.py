"""A test's view of WatchHomeTimeline over the Connect protocol (JSON), as a browser reads it:
one POST, then enveloped messages until an end-of-stream frame; read on a thread of its own."""

from __future__ import annotations

import contextlib
import json
import threading

import httpx

from tests.web.wire import END_STREAM, envelope, frames

WATCH = "/feed.v1.FeedService/WatchHomeTimeline"
STREAM_TIMEOUT_MS = 60_000  # the server ends the stream by then: no test thread outlives its test by long


class ConnectStream:
    """One open stream: its events (JSON objects) in arrival order and its end-of-stream frame."""

    def __init__(self, url: str, user: int, token: str, page_token: str = "") -> None:
        self.events: list[dict] = []
        self.end: dict | None = None  # the end-of-stream frame, once it came
        self.failure: Exception | None = None
        self.status = 0
        self._response: httpx.Response | None = None
        self._changed = threading.Condition()
        body = envelope(json.dumps({"userId": str(user), "pageToken": page_token}).encode())
        headers = {
            "content-type": "application/connect+json",
            "connect-protocol-version": "1",
            "connect-timeout-ms": str(STREAM_TIMEOUT_MS),
            "authorization": f"Bearer {token}",
        }
        self._thread = threading.Thread(target=self._read, args=(url + WATCH, body, headers), daemon=True)
        self._thread.start()

    def _read(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("POST", url, content=body, headers=headers, timeout=STREAM_TIMEOUT_MS / 1000 + 10) as r:
                self._response = r
                self.status = r.status_code
                for flags, payload in frames(r.iter_bytes()):
                    with self._changed:
                        if flags & END_STREAM:
                            self.end = json.loads(payload)
                        else:
                            self.events.append(json.loads(payload))
                        self._changed.notify_all()
        except httpx.HTTPError as exc:  # closed by close(), or the connection dropped
            self.failure = exc
        finally:
            with self._changed:
                self._changed.notify_all()

    def posts(self) -> list[str]:
        return [event["post"]["postId"] for event in list(self.events) if "post" in event]

    def heartbeats(self) -> int:
        return sum(1 for event in list(self.events) if "heartbeat" in event)

    def error_code(self) -> str | None:
        return (self.end or {}).get("error", {}).get("code")

    def wait_for(self, check, timeout_s: float) -> bool:
        """Wait until check(self) holds or the stream ended; return whether it holds."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self) or not self._thread.is_alive(), timeout_s) and check(self)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._response is not None:
                self._response.close()
        self._thread.join(5)
