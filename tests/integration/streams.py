"""A test's view of WatchHomeTimeline: a stream read on a thread of its own, its events collected."""

from __future__ import annotations

import threading
import time

import grpc

from feed.v1 import feed_service_pb2, feed_service_pb2_grpc


class Watcher:
    """One open stream: events in arrival order, and how it ended (a status code, once it did)."""

    def __init__(self, addr: str, user: int, metadata, page_token: str = "") -> None:
        self.user = user
        self.events: list[feed_service_pb2.HomeTimelineEvent] = []
        self.arrived: list[float] = []  # time.monotonic() of each event
        self.ended: grpc.StatusCode | None = None
        self.details = ""
        self._changed = threading.Condition()
        self._channel = grpc.insecure_channel(addr)
        request = feed_service_pb2.WatchHomeTimelineRequest(user_id=user, page_token=page_token)
        self._call = feed_service_pb2_grpc.FeedServiceStub(self._channel).WatchHomeTimeline(
            request, metadata=metadata, timeout=120
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._call:
                with self._changed:
                    self.events.append(event)
                    self.arrived.append(time.monotonic())
                    self._changed.notify_all()
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as err:
            code, details = err.code(), err.details() or ""
        with self._changed:
            self.ended, self.details = code, details
            self._changed.notify_all()

    def wait_for(self, check, timeout_s: float = 10.0) -> bool:
        """Wait until check(self) is true (False at the deadline)."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self), timeout_s)

    def posts(self) -> list[int]:
        return [e.post.post_id for e in self.events if e.HasField("post")]

    def deleted(self) -> list[int]:
        return [e.deleted_post_id for e in self.events if e.HasField("deleted_post_id")]

    def gaps(self) -> list[str]:
        return [e.gap.page_token for e in self.events if e.HasField("gap")]

    def last_token(self) -> str:
        return self.events[-1].resume_token

    def close(self) -> None:
        self._call.cancel()
        self._thread.join(10)
        self._channel.close()


def watch_live(client, addr: str, user: int, author: int, page_token: str = "", tries: int = 20) -> Watcher:
    """A stream of user's that is known to be live: probe posts by author (whom user follows) are
    made until one arrives (a post made while a stream without a token opens may be before "now")."""
    watcher = Watcher(addr, user, client.acting_as(user), page_token)
    for n in range(tries):
        client.post(author, f"probe {n}")
        if watcher.wait_for(lambda w: w.posts() or w.ended, 1.0):
            break
    assert watcher.posts(), f"the stream never went live: {watcher.ended} {watcher.details}"
    return watcher
