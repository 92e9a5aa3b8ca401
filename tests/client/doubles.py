"""In-memory stand-ins for unit tests of the client's pure logic: failed calls and scripted streams."""

from __future__ import annotations

import threading

import grpc

from feed.v1 import feed_service_pb2, post_pb2


class InMemoryRpcError(grpc.RpcError):
    """A failed call as grpc raises it: a status, the server's message, trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str = "", trailing=()) -> None:
        super().__init__(details)
        self._code, self._details, self._trailing = code, details, tuple(trailing)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self):
        return self._trailing


class InMemoryStream:
    """One WatchHomeTimeline call: its events, then its end (None: ends OK; hold: stays open until
    cancelled, as a live stream does)."""

    def __init__(self, events: list, end: grpc.StatusCode | None = None, hold: bool = False) -> None:
        self._events = list(events)
        self._end = end
        self._hold = hold
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def __iter__(self):
        for event in self._events:
            if self.cancelled:
                raise InMemoryRpcError(grpc.StatusCode.CANCELLED, "cancelled")
            yield event
        if self._hold and self._cancel.wait(30):
            raise InMemoryRpcError(grpc.StatusCode.CANCELLED, "cancelled")
        if self._end is not None:
            raise InMemoryRpcError(self._end, f"ended with {self._end.name}")

    def cancel(self) -> bool:
        self._cancel.set()
        return True


class InMemoryStreams:
    """Opens the scripted streams in turn, remembering each (token, page token) it was opened with."""

    def __init__(self, *streams: InMemoryStream) -> None:
        self._streams = list(streams)
        self.opened: list[tuple[str, str]] = []

    def __call__(self, token: str, page_token: str) -> InMemoryStream:
        self.opened.append((token, page_token))
        return self._streams.pop(0)


def post_event(post_id: int) -> feed_service_pb2.HomeTimelineEvent:
    return feed_service_pb2.HomeTimelineEvent(
        post=post_pb2.Post(post_id=post_id, author_id=1, text=f"post {post_id}"), resume_token=f"after-{post_id}"
    )


def gap_event(page_token: str) -> feed_service_pb2.HomeTimelineEvent:
    return feed_service_pb2.HomeTimelineEvent(
        gap=feed_service_pb2.TimelineGap(page_token=page_token), resume_token="top"
    )


def heartbeat_event() -> feed_service_pb2.HomeTimelineEvent:
    """What the web gateway sends a quiet stream: no event, no resume_token."""
    return feed_service_pb2.HomeTimelineEvent(heartbeat=feed_service_pb2.Heartbeat())
