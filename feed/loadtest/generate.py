"""Synthetic traces: first the social graph as Follow requests, then a timed stream of traffic.

Deterministic for a seed (one `random.Random` drives every choice, in one order) and
memory-bounded: records are written as they are made; besides the graph (8 bytes an
edge) only bounded pools are kept, of recent posts that later requests may name and of
readers in the middle of paging.
"""

from __future__ import annotations

import dataclasses
import random
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from tqdm import tqdm

from feed.errors import InvalidArgument
from feed.loadtest.graph import SocialGraph, build_graph
from feed.loadtest.trace import RPCS, Record, TraceHeader, TraceWriter

DEFAULT_MIX = {  # percent of the timed stream; reads dominate, as on every feed
    "GetHomeTimeline": 55.0,
    "GetUserTimeline": 12.0,
    "CreatePost": 12.0,
    "GetPost": 6.0,
    "Follow": 5.0,
    "Unfollow": 2.0,
    "DeletePost": 2.0,
    "ListFollowers": 3.0,
    "ListFollowing": 3.0,
}
POST_POOL_MAX = 10_000  # posts later deletes and gets may name; oldest leave first
PAGING_POOL_MAX = 1_000  # readers who may ask for their next page
MIN_REF_AGE_MS = 2_000  # a request naming a post or a page comes this long after it: the answer is back by then
GRAPH_GAP_MS = 1_000  # pause between the graph and the stream, for the fan-out of the follows to settle


@dataclasses.dataclass(frozen=True)
class GeneratorParams:
    """Everything that shapes a generated trace; recorded in its header."""

    users: int
    requests: int  # the timed stream; the graph's Follow requests come on top
    seed: int = 1
    mean_follows: float = 20.0
    rate: float = 200.0  # requests per second of the timed stream (Poisson arrivals)
    graph_rate: float = 1_000.0  # Follow requests per second while the graph is written
    celebrities: int = 3
    celebrity_reach: float = 0.25  # share of all users following each celebrity
    zipf: float = 1.0
    id_base: int = 0
    page_next: float = 0.3  # chance that a timeline or list read is the next page of an earlier one
    text_mean: int = 120
    mix: dict[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_MIX))

    def validate(self) -> None:
        if self.requests < 0 or self.rate <= 0 or self.graph_rate <= 0 or self.mean_follows < 0:
            raise InvalidArgument("requests, mean follows must be >= 0 and rates > 0")
        if set(self.mix) - set(RPCS) or min(self.mix.values()) < 0:
            raise InvalidArgument(f"the mix names percentages >= 0 of {', '.join(RPCS)}")
        if abs(sum(self.mix.values()) - 100) > 0.01:
            raise InvalidArgument(f"the mix must add up to 100 percent, not {sum(self.mix.values()):g}")


def parse_mix(text: str) -> dict[str, float]:
    """'GetHomeTimeline=60,CreatePost=40' -> the whole mix; names left out get 0."""
    mix = dict.fromkeys(RPCS, 0.0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in mix:
            raise InvalidArgument(f"unknown rpc {name.strip()!r} in --mix; use {', '.join(RPCS)}")
        mix[name.strip()] = float(value)
    return mix


class _Stream:
    """The timed stream's state; one method per request kind, each returning its fields."""

    def __init__(self, params: GeneratorParams, graph: SocialGraph, rng: random.Random) -> None:
        self.p, self.graph, self.rng = params, graph, rng
        self.young: deque[tuple[int, int, int]] = deque()  # (t, ordinal, author): not yet safe to name
        self.posts: list[tuple[int, int]] = []  # (ordinal, author) safe to name
        self.paging: dict[str, deque[tuple[int, int]]] = {}  # rpc -> (t, user) whose next page may come

    def build(self, rpc: str, t: int, ordinal: int) -> Record:
        self._ripen(t)
        if rpc in ("DeletePost", "GetPost") and not self.posts:
            rpc = "CreatePost"  # nothing to name yet: early in the stream, post instead
        fields = getattr(self, "_" + rpc)(t, ordinal)
        if fields is None:  # nobody to unfollow: follow instead
            rpc, fields = "Follow", self._Follow(t, ordinal)
        return {"t": t, "rpc": rpc, **fields}

    def _ripen(self, t: int) -> None:
        while self.young and self.young[0][0] <= t - MIN_REF_AGE_MS:
            _, ordinal, author = self.young.popleft()
            if len(self.posts) >= POST_POOL_MAX:
                self.posts[self.rng.randrange(len(self.posts))] = (ordinal, author)
            else:
                self.posts.append((ordinal, author))

    def _CreatePost(self, t: int, ordinal: int) -> Record:
        author = self.graph.popular_user(self.rng)  # popular accounts post more: the costly fan-outs
        self.young.append((t, ordinal, author))
        text_len = max(1, min(5000, round(self.rng.expovariate(1.0 / self.p.text_mean))))
        return {"author_id": author, "text_len": text_len, "key": f"g{ordinal}"}

    def _DeletePost(self, t: int, ordinal: int) -> Record:
        i = self.rng.randrange(len(self.posts))
        self.posts[i], self.posts[-1] = self.posts[-1], self.posts[i]
        ref, author = self.posts.pop()  # deleted once: later requests cannot name it
        return {"author_id": author, "post_ref": ref}

    def _GetPost(self, t: int, ordinal: int) -> Record:
        ref, _ = self.posts[self.rng.randrange(len(self.posts))]
        return {"post_ref": ref, "actor": self.graph.any_user(self.rng)}

    def _Follow(self, t: int, ordinal: int) -> Record:
        follower = self.graph.any_user(self.rng)
        followee = self.graph.add_follow(self.rng, follower)
        if followee is None:  # follows everyone drawn already: a repeat follow, a no-op on the server
            followee = self.graph.user(0) if self.graph.rank(follower) else self.graph.user(1)
        return {"follower_id": follower, "followee_id": followee}

    def _Unfollow(self, t: int, ordinal: int) -> Record | None:
        edge = self.graph.remove_follow(self.rng)
        return None if edge is None else {"follower_id": edge[0], "followee_id": edge[1]}

    def _paged(self, rpc: str, t: int, pick: Callable[[random.Random], int]) -> Record:
        readers = self.paging.setdefault(rpc, deque())
        if readers and readers[0][0] <= t - MIN_REF_AGE_MS and self.rng.random() < self.p.page_next:
            _, user = readers.popleft()
            readers.append((t, user))  # may read yet another page later
            return {"user_id": user, "page_size": 20, "next": True}
        user = pick(self.rng)
        if len(readers) < PAGING_POOL_MAX:
            readers.append((t, user))
        return {"user_id": user, "page_size": 20}

    def _GetHomeTimeline(self, t: int, ordinal: int) -> Record:
        return self._paged("GetHomeTimeline", t, self.graph.any_user)

    def _GetUserTimeline(self, t: int, ordinal: int) -> Record:
        return self._paged("GetUserTimeline", t, self.graph.popular_user)

    def _ListFollowers(self, t: int, ordinal: int) -> Record:
        return self._paged("ListFollowers", t, self.graph.popular_user)

    def _ListFollowing(self, t: int, ordinal: int) -> Record:
        return self._paged("ListFollowing", t, self.graph.any_user)


def generate(params: GeneratorParams) -> tuple[TraceHeader, Iterator[Record]]:
    """The header and a lazy iterator of the records: the graph's follows, then the stream."""
    params.validate()
    rng = random.Random(params.seed)
    graph = build_graph(
        rng, params.users, params.mean_follows, params.celebrities, params.celebrity_reach, params.zipf, params.id_base
    )
    edges = graph.edge_count()
    header = TraceHeader(
        source="generate",
        seed=params.seed,
        params={k: v for k, v in dataclasses.asdict(params).items() if k != "seed"},
        counts={"graph": edges, "stream": params.requests, "requests": edges + params.requests},
    )

    def records() -> Iterator[Record]:
        for i, (follower, followee) in enumerate(graph.edges()):
            t = int(i * 1000 / params.graph_rate)
            yield {"t": t, "rpc": "Follow", "follower_id": follower, "followee_id": followee}
        stream = _Stream(params, graph, rng)
        kinds, weights = zip(*params.mix.items(), strict=True)
        t = int(edges * 1000 / params.graph_rate) + GRAPH_GAP_MS
        clock = float(t)
        for n in range(params.requests):
            clock += rng.expovariate(params.rate) * 1000
            t = max(t, int(clock))
            yield stream.build(rng.choices(kinds, weights)[0], t, edges + n)

    return header, records()


def write_trace(params: GeneratorParams, out: str | Path, progress: bool = True) -> TraceHeader:
    """Generate into a file, record by record, with a progress bar on a terminal."""
    header, records = generate(params)
    with (
        TraceWriter(out, header) as writer,
        tqdm(total=header.counts["requests"], unit="req", disable=None if progress else True, desc="generate") as bar,
    ):
        for n, record in enumerate(records, 1):
            writer.write(record)
            if n % 4096 == 0:
                bar.update(4096)
        bar.update(header.counts["requests"] - bar.n)
    return header
