"""Model-based test: random sequences of follow, unfollow, block, unblock, post, delete,
group creation, joins, invitations, leaves, group posts, mutes, unmutes, keyword filters,
reposts, unreposts and reads over twenty users, one of them above the (lowered) celebrity threshold and groups
on both sides of it, against the real stack. Every read must be safe at once (no deleted
post, no author the reader does not follow, no group the reader is not in, no block ignored,
no muted author or reposter, no filtered phrase, each post once, through an entry that may show
it, newest entry first); a group's timeline equals the model's at once (it is read from the
store); once the workers drain, every home timeline read through gRPC shows the reference
model's posts, page by page, each once, with their repost counts. Which entry of a reposted
post a timeline keeps depends on timing (the newest-40 rule, rebuilds: reference_model.py),
so home timelines are compared as sets of posts, each once, in the order of their entries.

Mutes last until unmuted, 1 s or an hour: the 1 s ones end within a sequence, so the test
checks that posts come back to the second without any write, which only a real expiry
shows (an unmute is a write, and bumps the reader's version). Filters last until deleted or
an hour: their expiry is the same code path as a mute's (the facts' until_ms), and
tests/integration/test_quiet.py times one.

CI replays the same sequences (derandomized) and FOUND, the sequences random exploration found. To explore:
FEED_MODEL_RANDOM=1 FEED_MODEL_EXAMPLES=120 FEED_MODEL_SHRINK=0 pytest -p no:timeout --hypothesis-seed=N
(shrinking outruns any timeout: write the printed sequence down in FOUND with tests/integration/model_replay.py,
and shrink it by hand)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from feed.v1 import filter_service_pb2, post_pb2, post_service_pb2
from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.model_replay import G, P, Step, U, replay
from tests.integration.quiet_model import FilterModel, Span
from tests.integration.reference_model import FeedModel, GroupModel
from tests.integration.stack import drained, eventually, new_user

pytestmark = pytest.mark.integration
T = TypeVar("T")
USERS = 20
PAGE = 3
STAR = 0  # index of the user who starts above the celebrity threshold
CROWD = CELEBRITY_THRESHOLD + 2  # members of the group that starts above the threshold (fanned out on read)
# Post texts and filter phrases chosen so that case, NFKC (the fi ligature), casefolding (ß), underscores,
# plurals and trimming each decide some verdicts, whole word or not.
TEXTS = (
    "model post",
    "Spoiler alert!",
    "I love spoilers",
    "Cats & dogs",
    "STRASSE gesperrt",
    "die Straße",
    "\ufb01sh and chips",
    "crypto_giveaway now",
    "Election night: results",
)
PHRASES = ("spoiler", "Spoiler alert", "cat", "Straße", "fish", "giveaway", "election night", " post ", "dogs")
MUTE_DURATIONS_S = (0, 1, 3600)  # until unmuted; ends within the sequence; outlasts it
# What rules draw from is computed as timelines show once every timed mute has ended, never at the present
# moment: hypothesis replays a prefix of choices and needs the same lists (a 1 s mute ending between two runs
# stopped random exploration with FlakyStrategyDefinition).
LASTING: Span = (float("inf"), float("inf"))
SETTLE_S = 30.0  # how long an exact check may wait for a mute that may have ended mid-read to be surely over


def status(call) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def paged(read_page: Callable[[str], Any], expected: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """The ids of the pages read_page(token) gives, walking from the first, and the PAGE-sized
    chunks of expected they must equal (the last page has no next token)."""
    pages, token = [], ""
    for _ in range(len(expected) // PAGE + 2):
        page = read_page(token)
        pages.append([p.post_id for p in page.posts])
        token = page.next_page_token
        if not token:
            break
    return pages, chunks_of(expected)


def flat(pages: list[list[int]]) -> list[int]:
    return [post for page in pages for post in page]


def chunks_of(expected: list[int]) -> list[list[int]]:
    """The pages expected must be read as: PAGE ids each, and one empty page when there are none."""
    return [expected[i : i + PAGE] for i in range(0, len(expected), PAGE)] or [[]]


def make_machine(stack, client):
    user_index = st.integers(min_value=0, max_value=USERS - 1)
    has_groups = precondition(lambda self: self.model.groups)

    class FeedMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.users = [new_user() for _ in range(USERS)]
            self.model = FeedModel()
            self.paused = False

        def _signal_workers(self, sig: int) -> None:
            for proc in stack.processes:
                if proc.name.startswith("fan-out"):
                    proc.signal(sig)

        @precondition(lambda self: not self.paused)
        @rule()
        def workers_fall_behind(self) -> None:
            """Freeze the workers, so the reads that follow run ahead of fan-out."""
            self._signal_workers(signal.SIGSTOP)
            self.paused = True

        @precondition(lambda self: self.paused)
        @rule()
        def workers_catch_up(self) -> None:
            self._signal_workers(signal.SIGCONT)
            self.paused = False

        @initialize()
        def a_star_is_born(self) -> None:
            star = self.users[STAR]
            for user in self.users[::2]:  # half the users have timelines in Redis, half are rebuilt on read
                client.home(user)
            for fan in self.users[1 : CELEBRITY_THRESHOLD + 3]:
                client.follow(fan, star)
                self.model.follows.add((fan, star))

        @initialize()
        def groups_on_both_sides_of_the_threshold(self) -> None:
            """An open group above the celebrity threshold with a post whose author one member has
            blocked and who blocked another member, and a private group of the star's below it with a
            post of the star's, which the star's followers who are not members must not see: every
            example starts with these cases."""
            crowd = self.users[-CROWD:]
            crowded = self.create_group_of(crowd[0], private=False)
            for user in crowd[1:]:
                self.join_group(crowded, user, inviter=None)
            self.post_in(crowd[-1], crowded)
            for blocker, blocked in ((crowd[0], crowd[-1]), (crowd[-1], crowd[1])):
                client.block(blocker, blocked)
                self.model.blocks.add((blocker, blocked))
            star, fan = self.users[STAR], self.users[1]
            secret = self.create_group_of(star, private=True)
            self.join_group(secret, fan, inviter=star)
            self.join_group(secret, fan, inviter=None)  # accepted
            self.post_in(star, secret)

        def create_group_of(self, creator: int, private: bool) -> int:
            group = client.create_group(creator, "model group", private=private)
            self.model.groups[group] = GroupModel(private, {creator})
            return group

        def join_group(self, group: int, user: int, inviter: int | None) -> None:
            """user joins by themselves (inviter None, or user) or is invited by inviter, as the model expects."""
            code = status(lambda: client.join(group, user, inviter or 0))
            if not inviter or inviter == user:
                if self.model.may_join(group, user):
                    assert code == grpc.StatusCode.OK
                    self.model.join(group, user)
                else:  # a private group of others, uninvited (or through a blocked inviter), does not exist
                    assert code == grpc.StatusCode.NOT_FOUND
            elif not self.model.may_see_group(group, inviter):
                assert code == grpc.StatusCode.NOT_FOUND
            elif inviter not in self.model.groups[group].members:
                assert code == grpc.StatusCode.PERMISSION_DENIED  # only members invite others
            elif self.model.blocked_either_way(inviter, user):
                assert code == grpc.StatusCode.FAILED_PRECONDITION  # nobody is invited across a block
            else:
                assert code == grpc.StatusCode.OK  # an invitation: nobody is added until they accept
                self.model.invitations[(group, user)] = inviter

        @rule(a=user_index, b=user_index)
        def follow(self, a: int, b: int) -> None:
            fa, fb = self.users[a], self.users[b]
            code = status(lambda: client.follow(fa, fb))
            if a == b:
                assert code == grpc.StatusCode.INVALID_ARGUMENT
            elif self.model.blocked_either_way(fa, fb):
                assert code == grpc.StatusCode.FAILED_PRECONDITION
            else:
                assert code == grpc.StatusCode.OK
                self.model.follows.add((fa, fb))

        @rule(a=user_index, b=user_index)
        def unfollow(self, a: int, b: int) -> None:
            if a != b:
                client.unfollow(self.users[a], self.users[b])
                self.model.follows.discard((self.users[a], self.users[b]))

        @precondition(lambda self: self.model.follows)
        @rule(data=st.data(), blocks=st.booleans())
        def break_a_follow(self, data: st.DataObject, blocks: bool) -> None:
            """Unfollow or block along an existing edge: the cases the read guards exist for."""
            live_authors = {a for p, a in self.model.live().items() if not self.model.post_group[p]}
            meaningful = sorted(e for e in self.model.follows if e[1] in live_authors)  # posts to hide
            follower, followee = data.draw(st.sampled_from(meaningful or sorted(self.model.follows)))
            if blocks:
                client.block(follower, followee)
                self.model.blocks.add((follower, followee))
                self.model.follows -= {(follower, followee), (followee, follower)}
            else:
                client.unfollow(follower, followee)
                self.model.follows.discard((follower, followee))
            self.check_read(follower)  # at once, however far behind the workers are

        @rule(a=user_index, b=user_index)
        def block(self, a: int, b: int) -> None:
            if a != b:
                fa, fb = self.users[a], self.users[b]
                client.block(fa, fb)
                self.model.blocks.add((fa, fb))
                self.model.follows -= {(fa, fb), (fb, fa)}

        @rule(a=user_index, b=user_index)
        def unblock(self, a: int, b: int) -> None:
            if a != b:
                client.unblock(self.users[a], self.users[b])
                self.model.unblock(self.users[a], self.users[b])

        @rule(a=st.one_of(st.just(STAR), user_index), text=st.sampled_from(TEXTS))
        def post(self, a: int, text: str) -> None:
            created = client.post(self.users[a], text)
            self.model.posts[created.post_id] = self.users[a]
            self.model.post_group[created.post_id] = 0
            self.model.texts[created.post_id] = text

        @rule(a=user_index, private=st.booleans())
        def create_group(self, a: int, private: bool) -> None:
            self.create_group_of(self.users[a], private)

        @has_groups
        @rule(
            data=st.data(),
            joiners=st.lists(user_index, min_size=1, max_size=CROWD, unique=True),
            invited=st.integers(min_value=0, max_value=3),
        )
        def join(self, data: st.DataObject, joiners: list[int], invited: int) -> None:
            """One user or a crowd (enough to take a group over the celebrity threshold) join by
            themselves, or are invited by someone (a member mostly: the only way into a private
            group) and may accept at once or later (a join by themselves)."""
            group = data.draw(st.sampled_from(sorted(self.model.groups)), label="group")
            members = sorted(self.model.groups[group].members)
            inviter, accept = None, False
            if invited:
                anyone = invited == 1 or not members
                inviter = data.draw(st.sampled_from(self.users if anyone else members), label="inviter")
                accept = data.draw(st.booleans(), label="accept")
            for a in joiners:
                self.join_group(group, self.users[a], inviter)
                if accept:
                    self.join_group(group, self.users[a], None)

        @has_groups
        @rule(data=st.data(), a=user_index)
        def leave(self, data: st.DataObject, a: int) -> None:
            group = data.draw(st.sampled_from(sorted(self.model.groups)), label="group")
            user = self.users[a]
            code = status(lambda: client.leave(group, user))
            assert code == grpc.StatusCode.OK  # a no-op for a non-member, of any group: it tells nothing
            self.model.groups[group].members.discard(user)
            self.check_read(user)  # the group's posts are gone at once

        @has_groups
        @rule(data=st.data(), a=user_index, member=st.integers(min_value=0, max_value=3), text=st.sampled_from(TEXTS))
        def post_to_group(self, data: st.DataObject, a: int, member: int, text: str) -> None:
            """A member posts to a group (mostly), or someone else tries to."""
            group = data.draw(st.sampled_from(sorted(self.model.groups)), label="group")
            members = sorted(self.model.groups[group].members)
            author = data.draw(st.sampled_from(members), "author") if member and members else self.users[a]
            try:
                created = client.post(author, text, group=group)
            except grpc.RpcError as err:
                if not self.model.may_see_group(group, author):
                    assert err.code() == grpc.StatusCode.NOT_FOUND
                else:
                    assert author not in members and err.code() == grpc.StatusCode.PERMISSION_DENIED
                return
            assert author in members, "a non-member posted to a group"
            self.record_group_post(created, author, group, text)

        def post_in(self, author: int, group: int) -> None:
            """A member's post to a group, which must succeed."""
            self.record_group_post(client.post(author, "model group post", group=group), author, group)

        def record_group_post(self, created: post_pb2.Post, author: int, group: int, text: str = "") -> None:
            assert created.group_id == group
            self.model.posts[created.post_id] = author
            self.model.post_group[created.post_id] = group
            self.model.texts[created.post_id] = text or "model group post"

        @precondition(lambda self: self.membership_edges())
        @rule(data=st.data(), how=st.sampled_from(["leave", "member blocks", "author blocks"]))
        def break_a_membership(self, data: st.DataObject, how: str) -> None:
            """A member leaves a group with posts of others, blocks one of its authors, or is blocked by
            one: hidden at once."""
            member, group, author = data.draw(st.sampled_from(self.membership_edges()))
            if how != "leave":
                blocker, blocked = (member, author) if how == "member blocks" else (author, member)
                client.block(blocker, blocked)
                self.model.blocks.add((blocker, blocked))
                self.model.follows -= {(member, author), (author, member)}
            else:
                client.leave(group, member)
                self.model.groups[group].members.discard(member)
            self.check_read(member)

        def membership_edges(self) -> list[tuple[int, int, int]]:
            """(member, group, author) of every live group post by another member than the author."""
            live = self.model.live()
            return sorted(
                {
                    (member, group, author)
                    for post, author in live.items()
                    if (group := self.model.post_group[post])
                    for member in self.model.groups[group].members
                    if member != author and not self.model.blocked_either_way(member, author)
                }
            )

        @has_groups
        @rule(data=st.data(), a=user_index)
        def read_group(self, data: st.DataObject, a: int) -> None:
            """A group's timeline comes from the store: exactly the model's at once, for whoever may see it."""
            group = data.draw(st.sampled_from(sorted(self.model.groups)), label="group")
            user = self.users[a]
            code = status(lambda: client.group_timeline(group, user, PAGE))
            if not self.model.may_see_group(group, user):
                assert code == grpc.StatusCode.NOT_FOUND
                return
            assert code == grpc.StatusCode.OK
            self.check_group(group, user)

        def check_group(self, group: int, user: int) -> None:
            """The group's timeline as user reads it equals the model's, page by page."""
            pages, expected = self.read_settled(
                user,
                lambda: self.walk(lambda token: client.group_timeline(group, user, PAGE, token)),
                lambda pages, read: self.model.group_timeline(group, user, read),
            )
            assert pages == chunks_of(expected), f"group {group}, reader {user}"

        def check_quieted(self, user: int) -> None:
            """After a change of user's mutes or filters: their home page at once, and every group of
            theirs with a post (group timelines hide what home pages hide)."""
            self.check_read(user)
            live_groups = {self.model.post_group[p] for p in self.model.live()} - {0}
            for group in sorted(g for g in live_groups if user in self.model.groups[g].members):
                self.check_group(group, user)

        def walk(self, read_page: Callable[[str], Any]) -> list[list[int]]:
            """The ids of every page read_page gives, from the first (no more than the live posts fill)."""
            return paged(read_page, list(self.model.live()))[0]

        def read_settled(self, user: int, read: Callable[[], T], expect: Callable[[T, Span], list[int]]):
            """read(), and what the model expects of it, at a moment when none of the user's mutes may have
            ended halfway through: read again (for at most SETTLE_S) while one may have."""
            deadline = time.monotonic() + SETTLE_S
            while True:
                began = time.time()
                got = read()
                span = (began, time.time())
                if self.model.quiet.settled(user, span):
                    return got, expect(got, span)
                assert time.monotonic() < deadline, f"a mute of user {user} never settled"

        @precondition(lambda self: self.model.posts)
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            post = data.draw(st.sampled_from(sorted(self.model.posts)))
            author = self.model.posts[post]
            code = status(lambda: client.delete(author, post))
            assert code == grpc.StatusCode.OK  # deleting again finishes as the first delete did
            self.model.deleted.add(post)
            group = self.model.post_group[post]
            # A copy: the union below must not widen the group's members (it did, and the model then expected
            # reposters and their followers to post to, read and invite to groups they are not in).
            readers = (
                set(self.model.groups[group].members) if group else {f for f, a in self.model.follows if a == author}
            )
            reposters = {r for r, p in self.model.reposts if p == post}
            readers |= reposters | {f for f, r in self.model.follows if r in reposters}  # its reposts go with it
            for reader in sorted(readers):
                self.check_read(reader)

        @rule(a=user_index)
        def read(self, a: int) -> None:
            self.check_read(self.users[a])

        def check_read(self, user: int) -> None:
            began = time.time()
            page = client.home(user, 100)
            # The page just above it: only what arrived since, never a post shown already or hidden.
            newer = list(client.home(user, 100, page.prev_page_token).posts)
            read = (began, time.time())  # a 1 s mute may end between the two
            # While the workers catch up a post may be missing, but never one the user must not see.
            problems = self.home_problems(user, list(page.posts), read) + self.home_problems(user, newer, read)
            # Never twice across the two either, a repost's post included: the first page's prev_page_token carries
            # the originals it showed through reposts, and its bottom, so the newer page shows none of its posts
            # again, neither as itself nor through a repost (docs/reposts.md, feed/read/newer.py).
            shown = {p.post_id for p in page.posts}
            problems += [f"newer page repeats {p.post_id}" for p in newer if p.post_id in shown]
            assert not problems, f"{self.who(user)}: {problems}"

        def who(self, user: int) -> str:
            """A user as the printed steps name them (users[i]), with the mutes and filters a triage needs."""
            quiet = self.model.quiet
            mutes = {self.users.index(b): ends for (a, b), ends in quiet.mutes.items() if a == user}
            phrases = [(f.phrase, f.whole_word) for f in quiet.filters.values() if f.user == user]
            return f"users[{self.users.index(user)}] ({user}, at {time.time():.3f}, mutes {mutes}, filters {phrases})"

        def described(self, post: int) -> str:
            """A post as a triage needs it: its author (users[i]), group and text."""
            model = self.model
            author = model.posts.get(post)
            if author is None:
                return f"{post} (unknown)"
            return (
                f"{post} (users[{self.users.index(author)}]'s, group {model.post_group[post]}, {model.texts[post]!r})"
            )

        def home_problems(self, user: int, posts: list[post_pb2.Post], read: Span, exact: bool = False) -> list[str]:
            """What is wrong with home timeline posts read during `read`: a post shown twice, or through an
            entry that may not show it, entries out of order; if exact, also a post missing or a wrong repost count."""
            ids = [p.post_id for p in posts]
            problems = [f"{i} shown twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
            order = []
            for p in posts:
                may = self.model.showing(user, p.post_id, read)[1] if p.post_id in self.model.posts else set()
                if p.reposted_by_user_id not in may:
                    problems.append(
                        f"{self.described(p.post_id)} through {p.reposted_by_user_id or 'itself'}, not {sorted(may)}"
                    )
                else:
                    order.append(self.model.entry_order(p.post_id, p.reposted_by_user_id))
            if order != sorted(set(order), reverse=True):
                problems.append(f"entries out of order: {ids}")
            if exact:
                problems += [f"{i} missing" for i in self.model.home_as_shown(user, ids, read) if i not in ids]
                counts = {p.post_id: (p.repost_count, self.model.repost_count(p.post_id)) for p in posts}
                problems += [f"{i} repost_count {got}, not {want}" for i, (got, want) in counts.items() if got != want]
            return problems

        @rule(a=user_index, b=user_index, duration_s=st.sampled_from(MUTE_DURATIONS_S))
        def mute(self, a: int, b: int, duration_s: int) -> None:
            self.mute_and_check(self.users[a], self.users[b], duration_s)

        @precondition(lambda self: self.seen_authors())
        @rule(data=st.data(), duration_s=st.sampled_from(MUTE_DURATIONS_S))
        def mute_an_author_the_reader_sees(self, data: st.DataObject, duration_s: int) -> None:
            """The case mutes exist for: posts already in the reader's timeline (or group) must go at once."""
            reader, author = data.draw(st.sampled_from(self.seen_authors()))
            self.mute_and_check(reader, author, duration_s)

        def seen_authors(self) -> list[tuple[int, int]]:
            """(reader, author) of every post a reader sees by someone else, and (reader, reposter) of every post
            a reader may see through someone else's repost."""
            model = self.model
            return sorted(
                {(u, model.posts[p]) for u in self.users for p in model.home(u, LASTING) if model.posts[p] != u}
                | {
                    (u, r)
                    for u in self.users
                    for p in model.home(u, LASTING)
                    for r in model.entries(u, p)
                    if r not in (0, u)
                }
            )

        def mute_and_check(self, muter: int, muted: int, duration_s: int) -> None:
            began = time.time()
            code = status(lambda: client.mute(muter, muted, duration_s))
            if muter == muted:
                assert code == grpc.StatusCode.INVALID_ARGUMENT
                return
            assert code == grpc.StatusCode.OK
            self.model.quiet.mute(muter, muted, duration_s, (began, time.time()))
            self.check_quieted(muter)

        @rule(a=user_index, b=user_index)
        def unmute(self, a: int, b: int) -> None:
            muter, muted = self.users[a], self.users[b]
            code = status(lambda: client.unmute(muter, muted))
            if a == b:
                assert code == grpc.StatusCode.INVALID_ARGUMENT
                return
            assert code == grpc.StatusCode.OK  # also when there was no mute
            self.model.quiet.unmute(muter, muted)
            self.check_quieted(muter)

        @rule(a=user_index, phrase=st.sampled_from(PHRASES), whole_word=st.booleans(), lasting=st.booleans())
        def create_filter(self, a: int, phrase: str, whole_word: bool, lasting: bool) -> None:
            self.filter_and_check(self.users[a], phrase, whole_word, 3600 if lasting else 0)

        @precondition(lambda self: self.seen_posts())
        @rule(data=st.data(), whole_word=st.booleans(), part=st.booleans())
        def filter_a_word_the_reader_sees(self, data: st.DataObject, whole_word: bool, part: bool) -> None:
            """A word of a post in the reader's timeline, or all of it but its last character: hidden at
            once, but for a part of a word filtered as a whole word."""
            reader, post = data.draw(st.sampled_from(self.seen_posts()))
            word = data.draw(st.sampled_from(self.model.texts.get(post, "model post").split()), label="word")
            self.filter_and_check(reader, word[:-1] if part and len(word) > 1 else word, whole_word, 0)

        def seen_posts(self) -> list[tuple[int, int]]:
            return sorted({(u, p) for u in self.users for p in self.model.home(u, LASTING)})

        def filter_and_check(self, user: int, phrase: str, whole_word: bool, duration_s: int) -> None:
            request = filter_service_pb2.CreateFilterRequest(
                user_id=user, phrase=phrase, whole_word=whole_word, duration_s=duration_s
            )
            made = client.filters.CreateFilter(request, timeout=10)
            assert (made.phrase, made.whole_word) == (phrase.strip(), whole_word)
            self.model.quiet.filters[made.filter_id] = FilterModel(user, phrase.strip(), whole_word)
            self.check_quieted(user)

        @precondition(lambda self: self.model.quiet.filters)
        @rule(data=st.data(), a=user_index, by_owner=st.integers(min_value=0, max_value=3))
        def delete_filter(self, data: st.DataObject, a: int, by_owner: int) -> None:
            """The owner deletes a filter (mostly) and its posts are back at once; anyone else is told NOT_FOUND."""
            filter_id = data.draw(st.sampled_from(sorted(self.model.quiet.filters)), label="filter")
            owner = self.model.quiet.filters[filter_id].user
            user = owner if by_owner else self.users[a]
            request = filter_service_pb2.DeleteFilterRequest(user_id=user, filter_id=filter_id)
            code = status(lambda: client.filters.DeleteFilter(request, timeout=10))
            if user != owner:
                assert code == grpc.StatusCode.NOT_FOUND
                return
            assert code == grpc.StatusCode.OK
            del self.model.quiet.filters[filter_id]
            listed = client.filters.ListFilters(filter_service_pb2.ListFiltersRequest(user_id=user), timeout=10)
            assert sorted(f.filter_id for f in listed.filters) == self.model.quiet.filters_of(user)
            self.check_quieted(user)

        def teardown(self) -> None:
            if self.paused:
                self.workers_catch_up()
            eventually(lambda: drained(stack), timeout_s=60)
            for user in self.users:
                pages, problems = self.read_settled(
                    user,
                    lambda user=user: self.walk_home(user),
                    lambda pages, read, user=user: self.home_problems(user, flat(pages), read, exact=True),
                )
                sizes = [len(page) for page in pages]
                assert sizes == [len(c) for c in chunks_of(list(range(sum(sizes))))], f"user {user}: pages of {sizes}"
                assert not problems, f"user {user}: {problems}"

        def walk_home(self, user: int) -> list[list[post_pb2.Post]]:
            """The posts of every page of user's home timeline, from the first (no more than the live posts fill)."""
            pages, token = [], ""
            for _ in range(len(self.model.live()) // PAGE + 2):
                page = client.home(user, PAGE, token)
                pages.append(list(page.posts))
                token = page.next_page_token
                if not token:
                    return pages
            raise AssertionError(f"user {user}: paging did not end after {len(pages)} pages")

        @invariant()
        def entries_noted(self) -> None:
            self.model.note_entries(self.users)

        @precondition(lambda self: self.model.posts)
        @rule(data=st.data(), a=user_index, unknown=st.integers(min_value=0, max_value=5))
        def repost(self, data: st.DataObject, a: int, unknown: int) -> None:
            """Anyone reposts any post made (or deleted), or one never made."""
            post = data.draw(st.sampled_from(sorted(self.model.posts)), label="post")
            self.repost_and_check(self.users[a], post if unknown else max(self.model.posts) + 1)

        @precondition(lambda self: self.shareable_news())
        @rule(data=st.data())
        def repost_for_followers(self, data: st.DataObject) -> None:
            """The case reposts exist for: a post the reposter may share with a follower who does not see it."""
            self.repost_and_check(*data.draw(st.sampled_from(self.shareable_news())))

        @precondition(lambda self: self.shareable_news(held=True))
        @rule(data=st.data())
        def repost_what_followers_see(self, data: st.DataObject) -> None:
            """The case the deduplication exists for: a post a follower of the reposter holds an entry of already
            (the post itself, or another repost), the star's reposts among them (merged on read)."""
            self.repost_and_check(*data.draw(st.sampled_from(self.shareable_news(held=True))))

        def shareable_news(self, held: bool = False) -> list[tuple[int, int]]:
            """(reposter, post) of live posts the reposter may share, not reposted by them yet, that a follower of
            theirs holds no entry of yet (held: holds one already)."""
            model = self.model
            return sorted(
                {
                    (reposter, post)
                    for follower, reposter in model.follows
                    for post in model.live()
                    if bool(model.entries(follower, post)) == held
                    and (reposter, post) not in model.reposts
                    and model.may_repost(reposter, post)
                }
            )

        def repost_and_check(self, user: int, post: int) -> None:
            request = post_service_pb2.RepostRequest(user_id=user, post_id=post)
            try:
                shared = client.posts.Repost(request, timeout=10)
            except grpc.RpcError as err:
                assert not self.model.may_repost(user, post), f"user {user} may repost {post}: {err.code()}"
                # Whatever the reason (deleted, a private group, a block), as for a post never made.
                assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, f"post {post} not found")
                return
            assert self.model.may_repost(user, post), f"user {user} reposted {post}, which they may not see"
            self.model.repost(user, post)
            assert (shared.post_id, shared.reposted_by_user_id) == (post, user)
            assert shared.repost_count == self.model.repost_count(post)
            self.check_read(user)

        @precondition(lambda self: self.model.posts)
        @rule(data=st.data(), a=user_index, theirs=st.integers(min_value=0, max_value=3))
        def unrepost(self, data: st.DataObject, a: int, theirs: int) -> None:
            """A reposter takes a repost back (mostly), or anyone unreposts any post: OK either way, as for a
            post never made (whether it is one the user may see tells nothing); the repost is gone at once."""
            if theirs and self.model.reposts:
                user, post = data.draw(st.sampled_from(sorted(self.model.reposts)), label="repost")
            else:
                user, post = self.users[a], data.draw(st.sampled_from(sorted(self.model.posts)), label="post")
            request = post_service_pb2.UnrepostRequest(user_id=user, post_id=post)
            assert status(lambda: client.posts.Unrepost(request, timeout=10)) == grpc.StatusCode.OK
            self.model.unrepost(user, post)
            for reader in sorted({user} | {f for f, r in self.model.follows if r == user}):
                self.check_read(reader)

    return FeedMachine


# The same machine on the SQLite stack and on the stack whose durable store is the real Cassandra;
# fewer sequences on Cassandra, where every step costs several times more on 2 cores.
STACKS = {"sqlite": ("semantics_stack", "sem_client", 10), "cassandra": ("cassandra_stack", "cassandra_client", 3)}


@pytest.mark.parametrize("backend", list(STACKS))
def test_home_timelines_match_the_reference_model(backend, request):
    stack_name, client_name, default_examples = STACKS[backend]
    machine = make_machine(request.getfixturevalue(stack_name), request.getfixturevalue(client_name))
    examples = int(os.environ.get("FEED_MODEL_EXAMPLES", str(default_examples)))
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        derandomize=not os.environ.get("FEED_MODEL_RANDOM"),  # CI replays the same sequences
        database=None,
        # FEED_MODEL_SHRINK=0 reports the first failing sequence as found: shrinking one outruns any timeout.
        phases=[p for p in Phase if p != Phase.shrink or os.environ.get("FEED_MODEL_SHRINK", "1") != "0"],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()


# Sequences random exploration found (symbolic: tests/integration/model_replay.py), replayed as they are.
FOUND: dict[str, list[Step]] = {
    # Deleting a reposted group post: the model counted the reposter and their followers as the group's members
    # (it widened the group's member set in place), so it expected a post to the group by one of them to succeed
    # (PERMISSION_DENIED), their read of a private group to succeed and their invitation into it to be taken
    # (NOT_FOUND both: they may not see it). Random exploration, seed 1, found the first.
    "a-deleted-group-post-had-reposts": [
        ("a_star_is_born", {}, []),
        ("groups_on_both_sides_of_the_threshold", {}, []),
        ("repost", {"a": 0, "unknown": 1}, [P(0)]),  # the star reposts the crowded group's post
        ("repost", {"a": 0, "unknown": 1}, [P(1)]),  # and their own in the private group
        ("delete", {}, [P(0)]),
        ("delete", {}, [P(1)]),
        ("post_to_group", {"a": 1, "member": 0, "text": "model post"}, [G(0)]),  # a fan of the star, no member
        ("read_group", {"a": 2}, [G(1)]),  # another fan of the star reads the private group
        ("join", {"joiners": [6], "invited": 1}, [G(1), U(2), False]),  # and invites someone into it
    ],
}


@pytest.mark.parametrize("name", list(FOUND))
def test_the_sequences_random_exploration_found(name, semantics_stack, sem_client):
    replay(make_machine(semantics_stack, sem_client)(), FOUND[name])
