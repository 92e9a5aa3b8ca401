"""The reference model of home and group timelines: what every read must equal once
the workers drain (shared by the model-based test and the chaos suite).

Reposts (docs/reposts.md): a home timeline may hold several entries of one post (the post
itself, and reposts of it by the reader or the reader's followees), and shows each post once.
Which entry a timeline holds depends on timing (a repost is not pushed where its post is among
the newest 40 entries; a rebuild keeps the newest entry only), so the model knows, per reader
and post, which entries may show it (`entries`), and compares a timeline as a set, each post
once, through an entry that may show it. A post whose reader ever had two entries of it
(`fragile`) must be shown only while every one of those entries still may show it: if one
went, the entry the timeline kept may have been that one."""

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
    # (reposter, post) -> where the repost stands among the entries: (the newest post id made before it,
    # the repost's sequence number); a post's own entry stands at (post id, 0). Entries are shown in that order.
    reposts: dict[tuple[int, int], tuple[int, int]] = dataclasses.field(default_factory=dict)
    repost_seq: int = 0
    # (reader, post) -> every entry (0: the post itself, else a reposter) the reader ever had of the post,
    # once they had two at a time: which of them the timeline kept is up to timing.
    fragile: dict[tuple[int, int], set[int]] = dataclasses.field(default_factory=dict)

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

    def repost(self, reposter: int, post: int) -> None:
        """A Repost that succeeded: a new repost stands above every post made so far (a repeat changes nothing)."""
        if (reposter, post) not in self.reposts:
            self.repost_seq += 1
            self.reposts[(reposter, post)] = (max(self.posts), self.repost_seq)

    def unrepost(self, reposter: int, post: int) -> None:
        self.reposts.pop((reposter, post), None)

    def repost_count(self, post: int) -> int:
        return sum(1 for _, p in self.reposts if p == post)

    def may_repost(self, user: int, post: int) -> bool:
        """Whether user may share the post: a live one they may see, with no block between them and its author."""
        if post not in self.posts or post in self.deleted or self.blocked_either_way(user, self.posts[post]):
            return False
        group = self.post_group.get(post, 0)
        return not group or self.may_see_group(group, user)

    def entries(self, user: int, post: int) -> set[int]:
        """The entries of a live post the user's timeline may hold: 0 (the post itself) for a post the user
        sees as such, and each repost by the user or a followee (shown or not: see entry_shown)."""
        found = {0} if self.sees(user, post) else set()
        return found | {r for r, p in self.reposts if p == post and (r == user or (user, r) in self.follows)}

    def note_entries(self, users: list[int]) -> None:
        """After every step: remember who holds two entries of a post, and which (see `fragile`)."""
        for post in self.live():
            for user in users:
                held = self.entries(user, post)
                if len(held) > 1 or (user, post) in self.fragile:
                    self.fragile.setdefault((user, post), set()).update(held)

    def entry_shown(self, user: int, post: int, entry: int, read: Span | None) -> bool | None:
        """Whether that entry shows the post to the user during the read (None: a mute may have ended meanwhile).
        A repost: of a group the user is in, with no block between the user and its author or reposter, neither
        of them muted; the post itself: as sees() says; either: no filter hides its text."""
        author = self.posts[post]
        if entry == 0:
            return self.hidden(user, post, read) is False if self.sees(user, post) else False
        group = self.post_group.get(post, 0)
        if (group and user not in self.groups[group].members) or self.blocked_either_way(user, author):
            return False
        if self.blocked_either_way(user, entry):
            return False
        read = read or (time.time(),) * 2
        by_author, by_reposter = self.hidden(user, post, read), self.quiet.muted(user, entry, read)
        if by_author is True or by_reposter is True:
            return False
        return None if None in (by_author, by_reposter) else True

    def showing(self, user: int, post: int, read: Span | None) -> tuple[set[int], set[int]]:
        """The entries that surely show the post during the read, and those that may."""
        held = self.entries(user, post) if post not in self.deleted else set()
        shown = {e: self.entry_shown(user, post, e, read) for e in held}
        return {e for e, s in shown.items() if s}, {e for e, s in shown.items() if s is not False}

    def must_show(self, user: int, post: int, read: Span | None) -> bool:
        """Whether the timeline surely shows the post: through an entry it surely holds."""
        surely = self.showing(user, post, read)[0]
        return bool(surely) and self.fragile.get((user, post), surely) <= surely

    def home(self, user: int, read: Span | None = None) -> list[int]:
        """The posts the user's home timeline surely shows during `read` (when settled), newest first."""
        return sorted((p for p in self.live() if self.must_show(user, p, read)), reverse=True)

    def may_show(self, user: int, read: Span) -> set[int]:
        """Every post a home page read during `read` may show, the posts of a mute that may have ended included."""
        return {p for p in self.live() if self.showing(user, p, read)[1]}

    def entry_order(self, post: int, reposter: int) -> tuple[int, int]:
        """Where an entry stands in a timeline: entries are shown in decreasing order of it."""
        return self.reposts[(reposter, post)] if reposter else (post, 0)

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
        # A repost hidden by a block between a reader and its author or reposter may have been repaired away.
        for reposter, post in self.reposts:
            if {self.posts[post], reposter} & {blocker, blocked}:
                self.maybe_gone |= {(blocker, post), (blocked, post)}

    def home_as_shown(self, user: int, shown: list[int], read: Span | None = None) -> list[int]:
        """home(user, read), without the maybe-gone posts that the timeline shown lacks."""
        present = set(shown)
        return [p for p in self.home(user, read) if p in present or (user, p) not in self.maybe_gone]
