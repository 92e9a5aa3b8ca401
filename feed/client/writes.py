"""The write calls of posts, the follow graph, mutes and keyword filters (the write service's address)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from feed.client.calls import Calls
from feed.client.paging import Paged
from feed.client.retry import NO_RETRY, RETRY_CREATE
from feed.client.types import Filter, Mute, Post, filter_of, mute_of, post_of
from feed.v1 import filter_service_pb2 as filters
from feed.v1 import graph_service_pb2 as graph
from feed.v1 import post_service_pb2 as posts


class WriteCalls:
    """Mixed into FeedClient, which sets the stubs and `_calls`."""

    _calls: Calls
    _posts: object
    _graph: object
    _filters: object

    # Posts

    def create_post(self, author_id: int, text: str, group_id: int = 0, idempotency_key: str | None = None) -> Post:
        """Post as author_id (into group_id, if given). Retried on UNAVAILABLE and DEADLINE_EXCEEDED with one
        idempotency key for this logical post, so a retry of a call whose answer was lost returns the post
        the first one created instead of a second one. Pass your own key to extend that across restarts."""
        key = idempotency_key or uuid.uuid4().hex  # made once, before the first attempt, reused by every retry
        request = posts.CreatePostRequest(author_id=author_id, text=text, idempotency_key=key, group_id=group_id)
        return post_of(self._calls.unary(self._posts.CreatePost, request, author_id, RETRY_CREATE))

    def delete_post(self, author_id: int, post_id: int) -> None:
        """Delete author_id's post. Not retried: a repeat after a lost answer would say NOT_FOUND."""
        request = posts.DeletePostRequest(author_id=author_id, post_id=post_id)
        self._calls.unary(self._posts.DeletePost, request, author_id, NO_RETRY)

    def get_post(self, user_id: int, post_id: int) -> Post:
        """One post, read as user_id."""
        return post_of(self._calls.unary(self._posts.GetPost, posts.GetPostRequest(post_id=post_id), user_id))

    # Reposts: both are idempotent on the server (a second repost answers the same one, an unrepost of
    # nothing answers OK), so both are retried on UNAVAILABLE like the graph's writes.

    def repost(self, user_id: int, post_id: int) -> Post:
        """Share post_id with user_id's followers; the answer is the original post, reposted_by_user_id set."""
        request = posts.RepostRequest(user_id=user_id, post_id=post_id)
        return post_of(self._calls.unary(self._posts.Repost, request, user_id))

    def unrepost(self, user_id: int, post_id: int) -> None:
        """Take user_id's repost of post_id back (nothing to take back is fine)."""
        request = posts.UnrepostRequest(user_id=user_id, post_id=post_id)
        self._calls.unary(self._posts.Unrepost, request, user_id)

    # The follow graph: each write is idempotent (a second follow or block changes nothing), so retried.

    def follow(self, follower_id: int, followee_id: int) -> None:
        request = graph.FollowRequest(follower_id=follower_id, followee_id=followee_id)
        self._calls.unary(self._graph.Follow, request, follower_id)

    def unfollow(self, follower_id: int, followee_id: int) -> None:
        request = graph.UnfollowRequest(follower_id=follower_id, followee_id=followee_id)
        self._calls.unary(self._graph.Unfollow, request, follower_id)

    def block(self, blocker_id: int, blocked_id: int) -> None:
        request = graph.BlockRequest(blocker_id=blocker_id, blocked_id=blocked_id)
        self._calls.unary(self._graph.Block, request, blocker_id)

    def unblock(self, blocker_id: int, blocked_id: int) -> None:
        request = graph.UnblockRequest(blocker_id=blocker_id, blocked_id=blocked_id)
        self._calls.unary(self._graph.Unblock, request, blocker_id)

    def list_followers(self, user_id: int, page_size: int = 0) -> Iterator[int]:
        """Every follower id of user_id, page after page."""

        def page(token: str) -> tuple[list[int], str]:
            request = graph.ListFollowersRequest(user_id=user_id, page_size=page_size, page_token=token)
            answer = self._calls.unary(self._graph.ListFollowers, request, user_id)
            return list(answer.follower_ids), answer.next_page_token

        return Paged(page)

    def list_following(self, user_id: int, page_size: int = 0) -> Iterator[int]:
        """Every id user_id follows, page after page."""

        def page(token: str) -> tuple[list[int], str]:
            request = graph.ListFollowingRequest(user_id=user_id, page_size=page_size, page_token=token)
            answer = self._calls.unary(self._graph.ListFollowing, request, user_id)
            return list(answer.followee_ids), answer.next_page_token

        return Paged(page)

    # Mutes: muting again only replaces the duration, so a retry is harmless.

    def mute(self, muter_id: int, muted_id: int, duration_s: int = 0) -> None:
        """Hide muted_id's posts from muter_id for duration_s seconds (0: until unmute)."""
        request = graph.MuteRequest(muter_id=muter_id, muted_id=muted_id, duration_s=duration_s)
        self._calls.unary(self._graph.Mute, request, muter_id)

    def unmute(self, muter_id: int, muted_id: int) -> None:
        self._calls.unary(self._graph.Unmute, graph.UnmuteRequest(muter_id=muter_id, muted_id=muted_id), muter_id)

    def list_mutes(self, user_id: int, page_size: int = 0) -> Iterator[Mute]:
        """user_id's active mutes, page after page."""

        def page(token: str) -> tuple[list[Mute], str]:
            request = graph.ListMutesRequest(user_id=user_id, page_size=page_size, page_token=token)
            answer = self._calls.unary(self._graph.ListMutes, request, user_id)
            return [mute_of(m) for m in answer.mutes], answer.next_page_token

        return Paged(page)

    # Keyword filters: creating and deleting are not idempotent (a repeat makes a second filter, or
    # says NOT_FOUND), so only listing is retried.

    def create_filter(self, user_id: int, phrase: str, whole_word: bool = False, duration_s: int = 0) -> Filter:
        """Hide posts containing phrase from user_id for duration_s seconds (0: until deleted)."""
        request = filters.CreateFilterRequest(
            user_id=user_id, phrase=phrase, whole_word=whole_word, duration_s=duration_s
        )
        return filter_of(self._calls.unary(self._filters.CreateFilter, request, user_id, NO_RETRY))

    def delete_filter(self, user_id: int, filter_id: int) -> None:
        request = filters.DeleteFilterRequest(user_id=user_id, filter_id=filter_id)
        self._calls.unary(self._filters.DeleteFilter, request, user_id, NO_RETRY)

    def list_filters(self, user_id: int) -> list[Filter]:
        """user_id's active filters, oldest first."""
        answer = self._calls.unary(self._filters.ListFilters, filters.ListFiltersRequest(user_id=user_id), user_id)
        return [filter_of(f) for f in answer.filters]
