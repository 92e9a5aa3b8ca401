"""Narrow store contracts that every backend implements (see tests/store/contract.py).

Two interfaces, one per kind of data, so a backend can be tested and replaced
piece by piece. Every method is safe to call again with the same arguments
(at-least-once callers retry), and no method returns an unbounded list:
anything that can grow with the number of followers is paged or iterated.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Iterator

from feed.domain import Page, Post


class PostStore(abc.ABC):
    """Posts by id and each author's posts newest first."""

    @abc.abstractmethod
    def create_post(self, post: Post, idempotency_key: str = "") -> tuple[Post, bool]:
        """Store a post; with a non-empty key already used by this author, return
        that earlier post instead. The bool says whether a new post was stored."""

    @abc.abstractmethod
    def get_posts(self, post_ids: Iterable[int]) -> dict[int, Post]:
        """The live (not deleted) posts among post_ids, by id; unknown ids are absent."""

    def get_post(self, post_id: int) -> Post | None:
        """One live post, or None."""
        return self.get_posts([post_id]).get(post_id)

    @abc.abstractmethod
    def delete_post(self, post_id: int) -> bool:
        """Mark a post deleted everywhere the store answers from; True if it was live."""

    @abc.abstractmethod
    def list_author_posts(self, author_id: int, before_id: int | None, limit: int) -> list[Post]:
        """Up to limit live posts of one author with id < before_id, newest first."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


class GraphStore(abc.ABC):
    """Follow edges, stored both ways so either side pages cheaply."""

    @abc.abstractmethod
    def follow(self, follower_id: int, followee_id: int) -> bool:
        """Add an edge; True if it did not exist before."""

    @abc.abstractmethod
    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        """Remove an edge; True if it existed."""

    @abc.abstractmethod
    def is_following(self, follower_id: int, followee_id: int) -> bool:
        """Whether the edge exists."""

    @abc.abstractmethod
    def following_among(self, follower_id: int, candidate_ids: Iterable[int]) -> set[int]:
        """The candidates that follower_id follows, in one bulk lookup (the read path's guard)."""

    @abc.abstractmethod
    def block(self, blocker_id: int, blocked_id: int) -> bool:
        """Record a block; True if it did not exist. Follows are removed separately, by the caller."""

    @abc.abstractmethod
    def unblock(self, blocker_id: int, blocked_id: int) -> bool:
        """Remove a block; True if it existed."""

    @abc.abstractmethod
    def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        """Whether blocker_id has blocked blocked_id."""

    @abc.abstractmethod
    def list_followers(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of follower ids. Every follower appears exactly once across the
        pages of one walk; the order is the backend's own but stable."""

    @abc.abstractmethod
    def list_following(self, user_id: int, page_size: int, page_token: str | None = None) -> Page:
        """One page of the ids user_id follows, with list_followers' guarantees."""

    @abc.abstractmethod
    def follower_count(self, user_id: int) -> int:
        """How many accounts follow user_id."""

    @abc.abstractmethod
    def iter_user_ids(self) -> Iterator[int]:
        """Every user that has a follow edge either way or a post, each once."""

    def iter_followers(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every follower of user_id, fetched a page at a time."""
        yield from _walk(lambda token: self.list_followers(user_id, page_size, token))

    def iter_following(self, user_id: int, page_size: int = 5000) -> Iterator[int]:
        """Every account user_id follows, fetched a page at a time."""
        yield from _walk(lambda token: self.list_following(user_id, page_size, token))

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


@dataclasses.dataclass
class Store:
    """The two halves of one backend, opened together from one URL."""

    posts: PostStore
    graph: GraphStore

    def close(self) -> None:
        self.posts.close()
        self.graph.close()


MAX_PAGES = 1_000_000  # a walk longer than this means a backend returned a token loop


def _walk(fetch) -> Iterator[int]:
    token: str | None = None
    for _ in range(MAX_PAGES):
        page: Page = fetch(token)
        yield from page.ids
        if page.next_token is None:
            return
        token = page.next_token
    raise RuntimeError("store paging did not end")
