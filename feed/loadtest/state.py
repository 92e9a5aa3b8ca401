"""What a replay learns as it goes: post and group ids the server assigned, page tokens, who follows whom.

All of it is needed to turn the next records into requests: a delete names the post a
CreatePost of the trace made (a group request the group a CreateGroup made), a `next`
read sends the token its previous page returned, and a visibility probe needs a follower
whose home timeline is in Redis. Memory grows with the posts created and not deleted,
the groups created, and with users; never with requests.
"""

from __future__ import annotations

import threading
from typing import Any

FOLLOWERS_KEPT = 4  # per followee: enough to find one that reads, small for millions of users
HIDDEN_MAX = 200_000  # (reader, author) pairs kept apart by mutes and blocks; beyond, probes may time out

PostKey = tuple[int, int]  # (source trace, ordinal of the CreatePost or CreateGroup record in it)
MemberKey = tuple[int, int, int]  # (source trace, group_ref, user)
TokenKey = tuple[str, int, object]  # (rpc, user, scope): scope names the group of a group's list, else None


class ReplayState:
    """Thread-safe: records are dispatched by the scheduler, answers arrive on gRPC's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: dict[PostKey, Any] = {}  # post or group id, 0 if the create failed, or its future in flight
        self._tokens: dict[TokenKey, str] = {}
        self._followers: dict[int, list[int]] = {}
        self._warm: set[int] = set()
        self._hidden: set[tuple[int, int]] = set()  # (reader, author): a mute or a block keeps author's posts out
        self._members: dict[MemberKey, Any] = {}  # the latest request in flight of a member of a group

    def creating(self, key: PostKey, future: Any) -> None:
        """A CreatePost or CreateGroup is in flight: requests naming it wait for its future."""
        with self._lock:
            self._posts[key] = future

    def created(self, key: PostKey, post_id: int) -> None:
        """Its answer: the server's id, or 0 when it failed (requests naming it are skipped)."""
        with self._lock:
            if key in self._posts:
                self._posts[key] = post_id

    def post(self, key: PostKey, forget: bool = False) -> Any:
        """The post id, or the future to wait on; None when the trace never created it.
        forget: a delete, after which nothing in the trace names the post again."""
        with self._lock:
            return self._posts.pop(key, None) if forget else self._posts.get(key)

    def queue(self, keys: list[MemberKey], gate: Any) -> list[Any]:
        """Put a request behind the requests in flight of the same members of the same groups; return
        the gates (futures) to wait for. gate is the request's own, resolved once it is answered."""
        with self._lock:
            ahead = [self._members[k] for k in keys if k in self._members and not self._members[k].done()]
            for key in keys:
                self._members[key] = gate
            return ahead

    def dequeue(self, keys: list[MemberKey], gate: Any) -> None:
        """The request answered: forget it where no later request has taken its place."""
        with self._lock:
            for key in keys:
                if self._members.get(key) is gate:
                    del self._members[key]

    def token(self, rpc: str, user_id: int, scope: object = None) -> str:
        """The page token a `next` read sends: "" (the first page) when the previous page was the last.
        scope: which group's list, for the lists of one group (members, timeline)."""
        with self._lock:
            return self._tokens.get((rpc, user_id, scope), "")

    def paged(self, rpc: str, user_id: int, next_token: str, scope: object = None) -> None:
        with self._lock:
            if next_token:
                self._tokens[(rpc, user_id, scope)] = next_token
            else:
                self._tokens.pop((rpc, user_id, scope), None)

    def followed(self, follower: int, followee: int) -> None:
        with self._lock:
            mine = self._followers.setdefault(followee, [])
            if follower not in mine:
                mine.append(follower)
                del mine[:-FOLLOWERS_KEPT]

    def unfollowed(self, follower: int, followee: int) -> None:
        with self._lock:
            mine = self._followers.get(followee, [])
            if follower in mine:
                mine.remove(follower)

    def hides(self, reader: int, author: int) -> None:
        """reader muted author, or a block stands between them: reader's timeline will not show author's posts
        (a mute with a duration counts until it is undone: a probe must never wait on a post that cannot show)."""
        with self._lock:
            if len(self._hidden) < HIDDEN_MAX:
                self._hidden.add((reader, author))

    def shows(self, reader: int, author: int) -> None:
        with self._lock:
            self._hidden.discard((reader, author))

    def read_home(self, user_id: int) -> None:
        """The user's home timeline now exists in Redis, so fan-out writes to it."""
        with self._lock:
            self._warm.add(user_id)

    def is_warm(self, user_id: int) -> bool:
        """Whether the user's home timeline exists in Redis (they read it in this replay)."""
        with self._lock:
            return user_id in self._warm

    def reader_for(self, author: int) -> int | None:
        """Whose home timeline shows the author's new post through fan-out: a follower, else the
        author, whose timeline exists already. None if none does: a first read would rebuild the
        timeline from the store, showing the post at once and measuring nothing."""
        with self._lock:
            for follower in reversed(self._followers.get(author, [])):
                if follower in self._warm and (follower, author) not in self._hidden:
                    return follower
            return author if author in self._warm else None
