"""The chaos suite's workload: a seeded mix of every write, each call's outcome kept in a model.

Calls that fail while a process is down are retried until they answer, as a careful client
would: with the same idempotency key for a keyed post, and as they are for the idempotent
calls (delete, follow, unfollow, block, unblock, join, leave). A post made without a key
whose call failed may or may not exist: it is written down as unsure, with a text of its
own, and looked up in the author's user timeline once everything has drained.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

import grpc

from tests.integration.reference_model import FeedModel, GroupModel

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL}
GIVE_UP_S = 90.0  # a call still failing after this long fails the test: the stack did not recover
PACE_S = 0.01  # between calls: a steady stream, not a flood the 2 cores spend the test on
MAX_STEPS = 3_000  # so the posts stay far below any timeline bound


@dataclasses.dataclass
class Outcome:
    """What the workload did: its model, the unsure posts and how many calls were retried."""

    model: FeedModel
    users: list[int]
    unsure: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (author, text) of unkeyed failures
    keyed: dict[str, int] = dataclasses.field(default_factory=dict)  # text -> post id of keyed posts
    retried: int = 0
    calls: int = 0


class Workload:
    """Drives one client through random writes; run(seconds) returns the Outcome."""

    def __init__(self, client, users: list[int], seed: int) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.out = Outcome(FeedModel(), users)
        self.n = 0

    def call(self, do: Callable[[], object]) -> object:
        """do() until it answers; retried while the stack is down (never for a definite error)."""
        deadline = time.monotonic() + GIVE_UP_S
        self.out.calls += 1
        while True:
            try:
                return do()
            except grpc.RpcError as err:
                if err.code() not in RETRYABLE or time.monotonic() > deadline:
                    raise
                self.out.retried += 1
                time.sleep(0.2)

    def run(self, seconds: float) -> Outcome:
        users, model = self.out.users, self.out.model
        for creator in users[:2]:
            group = self.call(lambda c=creator: self.client.create_group(c, "chaos", private=False))
            model.groups[group] = GroupModel(False, {creator})
        ends = time.monotonic() + seconds
        while time.monotonic() < ends and self.n < MAX_STEPS:
            self.step(self.rng.random())
            time.sleep(PACE_S)
        return self.out

    def step(self, roll: float) -> None:
        rng, model, users = self.rng, self.out.model, self.out.users
        a, b = rng.sample(users, 2)
        self.n += 1
        if roll < 0.25:
            self.post_without_key(a)
        elif roll < 0.45:
            self.post_with_key(a)
        elif roll < 0.52 and model.live():
            post = rng.choice(sorted(model.live()))
            self.call(lambda: self.client.delete(model.posts[post], post))
            model.deleted.add(post)
        elif roll < 0.67:
            if not model.blocked_either_way(a, b):
                self.call(lambda: self.client.follow(a, b))
                model.follows.add((a, b))
        elif roll < 0.75:
            self.call(lambda: self.client.unfollow(a, b))
            model.follows.discard((a, b))
        elif roll < 0.79:
            self.call(lambda: self.client.block(a, b))
            model.blocks.add((a, b))
            model.follows -= {(a, b), (b, a)}
        elif roll < 0.82:
            self.call(lambda: self.client.unblock(a, b))
            model.blocks.discard((a, b))
        elif roll < 0.90:
            group = rng.choice(sorted(model.groups))
            self.call(lambda: self.client.join(group, a))
            model.groups[group].members.add(a)
        elif roll < 0.95:
            group = rng.choice(sorted(model.groups))
            self.call(lambda: self.client.leave(group, a))
            model.groups[group].members.discard(a)
        else:
            self.post_to_a_group(a)

    def post_without_key(self, author: int) -> None:
        text = f"plain {self.n}"
        try:
            post = self.client.post(author, text)
        except grpc.RpcError as err:
            if err.code() not in RETRYABLE:
                raise
            self.out.unsure.append((author, text))  # stored or not: the store will say
            return
        self.out.model.posts[post.post_id] = author
        self.out.model.post_group[post.post_id] = 0

    def post_with_key(self, author: int) -> None:
        text = f"keyed {self.n}"
        key = f"k{self.n}"
        post = self.call(lambda: self.client.post(author, text, key=key))
        self.out.keyed[text] = post.post_id
        self.out.model.posts[post.post_id] = author
        self.out.model.post_group[post.post_id] = 0

    def post_to_a_group(self, author: int) -> None:
        model = self.out.model
        mine = sorted(g for g, m in model.groups.items() if author in m.members)
        if not mine:
            return
        group = self.rng.choice(mine)
        text = f"group {self.n}"
        key = f"g{self.n}"
        post = self.call(lambda: self.client.post(author, text, key=key, group=group))
        self.out.keyed[text] = post.post_id
        model.posts[post.post_id] = author
        model.post_group[post.post_id] = group
