"""The "applied" notification: what one fan-out batch changed, for the read processes' live streams.

The worker publishes it on feed.redis.keys.APPLIED_CHANNEL after the batch is in Redis, so a
stream woken by it reads a timeline that already holds the post. It carries ids only (JSON of
integers: ids exceed 2^53 but Python's json keeps them exact), and at most MAX_ITEMS entries a
message: a huge batch is split, so no subscriber ever parses an unbounded message. Publishing is
best effort: a lost message is covered by the streams' catch-up after a resubscribe and their
safety poll (docs/streams.md), so a failure is logged and counted, never fails the batch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Iterator

from feed.domain import Source
from feed.events import (
    Envelope,
    Followed,
    GroupJoined,
    GroupLeft,
    PostCreated,
    PostDeleted,
    Unfollowed,
    Unreposted,
    fanout_view,
)
from feed.redis.keys import APPLIED_CHANNEL
from feed.telemetry import metrics

log = logging.getLogger("feed.worker")
MAX_ITEMS = 500  # entries per message (about 30 KB at most): a bigger batch is sent as several


@dataclasses.dataclass(frozen=True, slots=True)
class PostNote:
    """A post created or deleted: who wrote it and where (group 0: not a group post)."""

    org_id: int
    author_id: int
    group_id: int
    post_id: int

    @property
    def source(self) -> Source:
        return Source.of_post(self.author_id, self.group_id)


@dataclasses.dataclass(frozen=True, slots=True)
class UnrepostNote:
    """A repost taken back: its entry's id, and the original a client was shown through it (docs/streams.md)."""

    org_id: int
    reposter_id: int
    repost_id: int
    post_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class GraphNote:
    """A follow or a join (added) or their reverse: user now does (not) watch source."""

    added: bool
    org_id: int
    user_id: int
    source: Source


@dataclasses.dataclass(frozen=True, slots=True)
class Applied:
    """One notification: the posts, deletions, unreposts and graph changes of (part of) a batch."""

    posts: tuple[PostNote, ...] = ()
    deletions: tuple[PostNote, ...] = ()
    graph: tuple[GraphNote, ...] = ()
    unreposts: tuple[UnrepostNote, ...] = ()  # under "u": read processes of before skip the key


def notes_of(envelopes: Iterable[Envelope]) -> Applied:
    """The notification for a batch's applied events (every post, read-time ones included)."""
    posts, deletions, graph, unreposts = [], [], [], []
    for envelope in envelopes:
        if isinstance(envelope.event, Unreposted):  # streams name the original, not the entry's own id
            e = envelope.event
            unreposts.append(UnrepostNote(e.org_id, e.reposter_id, e.repost_id, e.post_id))
            continue
        event = fanout_view(envelope.event)  # a repost is a post of the reposter's, an unrepost its delete
        if isinstance(event, PostCreated | PostDeleted):
            note = PostNote(event.org_id, event.author_id, event.group_id, event.post_id)
            (posts if isinstance(event, PostCreated) else deletions).append(note)
        elif isinstance(event, Followed | Unfollowed):
            added = isinstance(event, Followed)
            graph.append(GraphNote(added, event.org_id, event.follower_id, Source(author_id=event.followee_id)))
        elif isinstance(event, GroupJoined | GroupLeft):
            added = isinstance(event, GroupJoined)
            graph.append(GraphNote(added, event.org_id, event.user_id, Source(group_id=event.group_id)))
    return Applied(tuple(posts), tuple(deletions), tuple(graph), tuple(unreposts))


def encode_applied(applied: Applied, max_items: int = MAX_ITEMS) -> Iterator[bytes]:
    """The messages carrying applied, each of at most max_items entries (none for an empty one)."""
    items = [("p", _post(n)) for n in applied.posts] + [("d", _post(n)) for n in applied.deletions]
    items += [("g", [int(n.added), n.org_id, n.user_id, n.source.to_member()]) for n in applied.graph]
    items += [("u", [n.org_id, n.reposter_id, n.repost_id, n.post_id]) for n in applied.unreposts]
    for start in range(0, len(items), max_items):
        message: dict[str, list] = {}
        for kind, item in items[start : start + max_items]:
            message.setdefault(kind, []).append(item)
        yield json.dumps(message, separators=(",", ":")).encode()


def decode_applied(data: bytes | str) -> Applied:
    """The notification in one message; ValueError if it is not one (a subscriber skips it)."""
    try:
        raw = json.loads(data)
        posts = tuple(PostNote(*map(int, item)) for item in raw.get("p", ()))
        deletions = tuple(PostNote(*map(int, item)) for item in raw.get("d", ()))
        graph = tuple(GraphNote(bool(a), int(o), int(u), Source.from_member(int(m))) for a, o, u, m in raw.get("g", ()))
        unreposts = tuple(UnrepostNote(*map(int, item)) for item in raw.get("u", ()))
    except (TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not an applied notification: {exc}") from None
    return Applied(posts, deletions, graph, unreposts)


def publish_applied(publish: Callable[[str, bytes], object], envelopes: Iterable[Envelope]) -> int:
    """Publish a batch's notification on APPLIED_CHANNEL; the messages sent (0 after a failure, logged and counted)."""
    sent = 0
    try:
        for message in encode_applied(notes_of(envelopes)):
            publish(APPLIED_CHANNEL, message)
            sent += 1
    except Exception as exc:  # a stream catches up on its next poll or resubscribe: never fail the batch
        metrics.STREAM_NOTIFY_FAILURES.inc()
        log.warning("publishing the applied notification failed: %s", type(exc).__name__)
    return sent


def _post(note: PostNote) -> list[int]:
    return [note.org_id, note.author_id, note.group_id, note.post_id]
