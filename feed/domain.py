"""Domain types shared by services, workers and stores: plain data, no I/O."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Post:
    """A post as stored. create_time_ms is milliseconds since the Unix epoch."""

    post_id: int
    author_id: int
    text: str
    create_time_ms: int
    group_id: int = 0  # the group it was posted in; 0: posted to the author's followers
    org_id: int = 0  # the author's organization
    # A repost entry of a timeline (docs/reposts.md): post_id is the repost's own id (the entry, the cursor),
    # repost_of the original's id, reposted_by the reposter; the other fields are the original's.
    reposted_by: int = 0
    repost_of: int = 0
    repost_count: int = 0  # users who repost it now (as far as the cache knows)

    @property
    def original_id(self) -> int:
        """The id of the post a reader sees: the original's for a repost, else this post's."""
        return self.repost_of or self.post_id


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Source:
    """Whose audience a post goes to: an author's followers, or a group's members.

    Exactly one of the two ids is set. A source whose audience is above the
    fan-out threshold is a read-time source: its posts go to a list of its own
    that readers merge, instead of into every follower's or member's timeline.
    """

    author_id: int = 0
    group_id: int = 0

    @classmethod
    def of_post(cls, author_id: int, group_id: int = 0) -> Source:
        """A group post goes to the group's members; any other post to its author's followers."""
        return cls(group_id=group_id) if group_id else cls(author_id=author_id)

    def to_member(self) -> int:
        """The integer Redis keeps in an organization's set of read-time sources: the author
        id, or minus the group id (ids are positive, so the sign tells which)."""
        return -self.group_id if self.group_id else self.author_id

    @classmethod
    def from_member(cls, member: int | bytes | str) -> Source:
        """The source a member of that set names (the inverse of to_member)."""
        value = int(member)
        return cls(group_id=-value) if value < 0 else cls(author_id=value)


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One page of ids and the opaque token of the next page (None on the last)."""

    ids: list[int]
    next_token: str | None


OPEN = "open"  # group visibility: anyone in the organization sees, reads and joins it
PRIVATE = "private"  # only members see, read, post to and add others to it
REGULAR = "regular"  # group kind: created by a user
ANNOUNCEMENTS = "announcements"  # one per organization: every member, posts by its admins only


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """A group inside one organization."""

    group_id: int
    org_id: int
    name: str
    visibility: str  # OPEN or PRIVATE
    kind: str  # REGULAR or ANNOUNCEMENTS
    creator_id: int
    create_time_ms: int
