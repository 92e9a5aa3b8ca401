"""The reference model of home and group timelines: what every read must equal once
the workers drain (shared by the model-based test and the chaos suite)."""

from __future__ import annotations

import dataclasses
import time

from tests.integration.quiet_model import QuietModel, Span


@dataclasses.dataclass
class GroupModel:
    """One group as the model knows it."""

    private: bool
    members: set[int]


@dataclasses.dataclass
class FeedModel:
    """The reference: what every user's home timeline and every group's timeline must be.

    Far fewer posts than the timeline bound (800) are made, so no timeline is ever cut.
    """

    follows: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    blocks: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    posts: dict[int, int] = dataclasses.field(default_factory=dict)  # post id -> author
    # post id -> group; a post missing here was made to followers (group 0)
    post_group: dict[int, int] = dataclasses.field(default_factory=dict)
    deleted: set[int] = dataclasses.field(default_factory=set)
    groups: dict[int, GroupModel] = dataclasses.field(default_factory=dict)
    # (group, invitee) -> inviter of the newest invitation not yet used (none lapses within a test)
    invitations: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)
    # (user, post) of group posts a block hid from the user and a read may have repaired out of their
    # home timeline for good: once the block is lifted they are back, or not (feed/read/repair.py).
    maybe_gone: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    texts: dict[int, str] = dataclasses.field(default_factory=dict)  # post id -> text (missing: no filter finds it)
    quiet: QuietModel = dataclasses.field(default_factory=QuietModel)  # mutes and keyword filters

    def live(self) -> dict[int, int]:
        """Post id -> author of every post not deleted."""
        return {post: author for post, author in self.posts.items() if post not in self.deleted}

    def sees(self, user: int, post: int) -> bool:
        """Whether a post belongs in the user's home timeline: one to followers of the user or of
        an author the user follows; one to a group the user is a member of now, by an author with
        no block between them and the user, either way (posting to a group reaches no follower as such)."""
        author, group = self.posts[post], self.post_group.get(post, 0)
        if group == 0:
            return author == user or (user, author) in self.follows
        return user in self.groups[group].members and not self.blocked_either_way(user, author)

    def hidden(self, reader: int, post: int, read: Span | None) -> bool | None:
        """Whether the reader's mutes and filters hide the post during the read (None: now; the answer
        None: a mute may have ended meanwhile, see quiet_model.py)."""
        read = read or (time.time(),) * 2
        return self.quiet.hides(reader, self.posts[post], self.texts.get(post, ""), read)

    def home(self, user: int, read: Span | None = None) -> list[int]:
        """The user's home timeline, newest first, as a read during `read` shows it (when settled)."""
        shown = (p for p in self.live() if self.sees(user, p) and self.hidden(user, p, read) is False)
        return sorted(shown, reverse=True)

    def may_show(self, user: int, read: Span) -> set[int]:
        """Every post a home page read during `read` may show: home, and the posts of a mute that may have ended."""
        return {p for p in self.live() if self.sees(user, p) and self.hidden(user, p, read) is not True}

    def group_timeline(self, group: int, reader: int, read: Span | None = None) -> list[int]:
        """The group's live posts, newest first, without those of authors blocked either way and those the
        reader's mutes and filters hide."""
        visible = (
            post
            for post, author in self.live().items()
            if self.post_group.get(post, 0) == group
            and not self.blocked_either_way(reader, author)
            and self.hidden(reader, post, read) is False
        )
        return sorted(visible, reverse=True)

    def may_see_group(self, group: int, user: int) -> bool:
        """Open groups are seen by everyone of the organization, private ones by their members only."""
        return not self.groups[group].private or user in self.groups[group].members

    def may_join(self, group: int, user: int) -> bool:
        """Whether user's own JoinGroup succeeds: a group they see, or a private one through an
        invitation whose inviter is still a member, with no block between the two either way."""
        inviter = self.invitations.get((group, user))
        invited = inviter is not None and inviter in self.groups[group].members
        return self.may_see_group(group, user) or (invited and not self.blocked_either_way(inviter, user))

    def join(self, group: int, user: int) -> None:
        """user's own JoinGroup succeeded: a private group's invitation is used up by it."""
        if not self.may_see_group(group, user):
            del self.invitations[(group, user)]
        self.groups[group].members.add(user)

    def blocked_either_way(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def unblock(self, blocker: int, blocked: int) -> None:
        """Lift a block; the group posts it hid from either of the two may have been repaired away."""
        self.blocks.discard((blocker, blocked))
        if self.blocked_either_way(blocker, blocked):
            return  # the other block still hides them
        for post, author in self.posts.items():
            if self.post_group.get(post, 0) and author in (blocker, blocked):
                self.maybe_gone.add((blocked if author == blocker else blocker, post))

    def home_as_shown(self, user: int, shown: list[int], read: Span | None = None) -> list[int]:
        """home(user, read), without the maybe-gone posts that the timeline shown lacks."""
        present = set(shown)
        return [p for p in self.home(user, read) if p in present or (user, p) not in self.maybe_gone]
