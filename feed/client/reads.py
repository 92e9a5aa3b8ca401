"""The read calls (the read service's address) and the live stream (the stream address)."""

from __future__ import annotations

import weakref

from feed.client.calls import Calls, bearer
from feed.client.paging import Paged
from feed.client.retry import NO_RETRY
from feed.client.types import Page, Post, ReadMarker, marker_of, page_of
from feed.client.watch import Resume, Watch
from feed.v1 import feed_service_pb2 as feed

PAGE_SIZE = 50  # posts per page the iterators ask for (the server allows 1 to 100)


class ReadCalls:
    """Mixed into FeedClient, which sets the stubs and `_calls`."""

    _calls: Calls
    _feed: object
    _stream: object
    _watches: weakref.WeakSet

    def home_page(self, user_id: int, page_token: str = "", page_size: int = 0) -> Page:
        """One page of user_id's home timeline, newest first: the newest page, or the one page_token names."""
        request = feed.GetHomeTimelineRequest(user_id=user_id, page_size=page_size, page_token=page_token)
        return page_of(self._calls.unary(self._feed.GetHomeTimeline, request, user_id))

    def home_timeline(
        self, user_id: int, page_token: str = "", limit: int | None = None, page_size: int = PAGE_SIZE
    ) -> Paged[Post]:
        """user_id's home timeline, newest first, from page_token (or the top) down to the oldest post,
        or limit posts; each post once, even while new ones arrive."""

        def page(token: str) -> tuple[tuple[Post, ...], str]:
            found = self.home_page(user_id, token, _size(page_size, limit))
            return found.posts, found.next_page_token

        return Paged(page, page_token, limit)

    def newer(self, user_id: int, page_token: str, page_size: int = PAGE_SIZE) -> Paged[Post]:
        """Every post of user_id's home timeline newer than page_token (a prev_page_token, a resume_token,
        a Gap's page_token), each once, oldest first; afterwards `.token` is where to poll from next."""

        def page(token: str) -> tuple[tuple[Post, ...], str]:
            found = self.home_page(user_id, token, page_size)
            return found.posts[::-1], found.prev_page_token  # each newer page sits just above the one before

        return Paged(page, page_token, until_empty=True)

    def user_timeline(
        self, user_id: int, author_id: int, limit: int | None = None, page_size: int = PAGE_SIZE
    ) -> Paged[Post]:
        """author_id's own posts as user_id sees them, newest first."""

        def page(token: str) -> tuple[tuple[Post, ...], str]:
            size = _size(page_size, limit)
            request = feed.GetUserTimelineRequest(user_id=author_id, page_size=size, page_token=token)
            return _posts(self._calls.unary(self._feed.GetUserTimeline, request, user_id))

        return Paged(page, limit=limit)

    def group_timeline(
        self, user_id: int, group_id: int, limit: int | None = None, page_size: int = PAGE_SIZE
    ) -> Paged[Post]:
        """The group's posts as user_id may read them, newest first (NotFound: no such group for them)."""

        def page(token: str) -> tuple[tuple[Post, ...], str]:
            request = feed.GetGroupTimelineRequest(
                group_id=group_id, user_id=user_id, page_size=_size(page_size, limit), page_token=token
            )
            return _posts(self._calls.unary(self._feed.GetGroupTimeline, request, user_id))

        return Paged(page, limit=limit)

    def get_read_marker(self, user_id: int) -> ReadMarker:
        """Where user_id stopped reading, on any device (post_id 0: never set)."""
        request = feed.GetReadMarkerRequest(user_id=user_id)
        return marker_of(self._calls.unary(self._feed.GetReadMarker, request, user_id))

    def set_read_marker(self, user_id: int, post_id: int, version: int) -> ReadMarker:
        """Move the marker to post_id if it is still at `version` (the one last read); Aborted if another
        device moved it since. Not retried: a repeat after a lost answer would be refused as stale."""
        request = feed.SetReadMarkerRequest(user_id=user_id, post_id=post_id, version=version)
        return marker_of(self._calls.unary(self._feed.SetReadMarker, request, user_id, NO_RETRY))

    def watch(self, user_id: int, resume_token: str | None = None, max_failures: int | None = None) -> Watch:
        """user_id's home timeline as it changes: PostArrived, PostDeleted and Gap events. From resume_token
        (a prev_page_token or an event's resume_token) it first sends what came since, then live; without
        one it starts live. Reconnects by itself after a disconnect from the last event, with a capped,
        jittered backoff (max_failures ends in a row without an event: then the error is raised; None:
        never gives up). Close it (or use `with`) to end the stream."""

        def open_stream(token: str, page_token: str):
            request = feed.WatchHomeTimelineRequest(user_id=user_id, page_token=page_token)
            return self._stream.WatchHomeTimeline(request, metadata=bearer(token))  # no deadline: it runs for ever

        watch = Watch(open_stream, user_id, self._calls.tokens, Resume(resume_token or "", max_failures=max_failures))
        self._watches.add(watch)  # closed with the client
        return watch


def _size(page_size: int, limit: int | None) -> int:
    return page_size if limit is None else max(1, min(page_size, limit))


def _posts(answer) -> tuple[tuple[Post, ...], str]:
    found = page_of(answer)
    return found.posts, found.next_page_token
