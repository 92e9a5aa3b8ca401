"""Synthetic traces: first the social graph as Follow requests, then a timed stream of traffic.

With several organizations (`orgs`), users are split among them and every request stays
inside one: the graph is one per organization, and each record carries its actor's `org`.
A user of an organization other than 0 is named by nobody before their own first call
(the services answer NOT_FOUND until a call has bound them to it), so the trace opens with
one home timeline read per such user. With groups (`groups_per_org`), each organization
then creates its groups and their first members join, and the stream mixes in group
requests, drawn so that each is valid at its point of the trace (see groups.py).

Deterministic for a seed (one `random.Random` drives every choice, in one order) and
memory-bounded: records are written as they are made; besides the graph (8 bytes an
edge), group memberships and the groups' first joins, only bounded pools are kept, of
recent posts and groups that later requests may name and of readers in the middle of paging.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from feed.errors import InvalidArgument
from feed.loadtest.graph import build_orgs
from feed.loadtest.groups import seed_members
from feed.loadtest.stream import Population, Stream
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
DEFAULT_GROUP_MIX = {  # the default when there are groups: about a sixth of the traffic is theirs
    "GetHomeTimeline": 44.0,
    "GetUserTimeline": 9.0,
    "CreatePost": 12.0,
    "GetPost": 5.0,
    "Follow": 4.0,
    "Unfollow": 2.0,
    "DeletePost": 2.0,
    "ListFollowers": 2.0,
    "ListFollowing": 2.0,
    "GetGroupTimeline": 8.0,
    "JoinGroup": 3.0,
    "LeaveGroup": 1.5,
    "ListGroupMembers": 2.0,
    "ListMyGroups": 2.0,
    "GetGroup": 1.0,
    "CreateGroup": 0.5,
}
ORG_FIELDS = ("orgs", "groups_per_org", "private_groups", "group_members", "group_posts")
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
    orgs: int = 1  # organizations 0 .. orgs-1; one is the trace of before organizations
    groups_per_org: int = 0  # groups each organization creates before the stream
    private_groups: float = 0.3  # share of groups that are private
    group_members: float = 8.0  # members a group starts with besides its creator, on average
    group_posts: float = 0.3  # share of posts made into a group (when a member is drawn as author)
    mix: dict[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_MIX))

    def validate(self) -> None:
        if self.requests < 0 or self.rate <= 0 or self.graph_rate <= 0 or self.mean_follows < 0:
            raise InvalidArgument("requests, mean follows must be >= 0 and rates > 0")
        if self.groups_per_org < 0 or self.group_members < 0:
            raise InvalidArgument("groups per organization and group members must be >= 0")
        if not (0 <= self.private_groups <= 1 and 0 <= self.group_posts <= 1):
            raise InvalidArgument("the private group and group post shares must be between 0 and 1")
        if set(self.mix) - set(RPCS) or min(self.mix.values()) < 0:
            raise InvalidArgument(f"the mix names percentages >= 0 of {', '.join(RPCS)}")
        if abs(sum(self.mix.values()) - 100) > 0.01:
            raise InvalidArgument(f"the mix must add up to 100 percent, not {sum(self.mix.values()):g}")


def default_mix(groups: bool) -> dict[str, float]:
    """The mix used when none is given: with group requests when there are groups."""
    return dict(DEFAULT_GROUP_MIX if groups else DEFAULT_MIX)


def parse_mix(text: str) -> dict[str, float]:
    """'GetHomeTimeline=60,CreatePost=40' -> the whole mix; names left out get 0."""
    mix = dict.fromkeys(RPCS, 0.0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in mix:
            raise InvalidArgument(f"unknown rpc {name.strip()!r} in --mix; use {', '.join(RPCS)}")
        mix[name.strip()] = float(value)
    return mix


def _at(start: int, n: int, rate: float) -> int:
    """The offset of the n-th request of a phase sent at rate per second from start."""
    return start + int(n * 1000 / rate)


def _group_setup(streams: list[Stream], params: GeneratorParams, start: int, first: int) -> list[Record]:
    """Each organization's groups and their first members, at the graph's rate: held in memory
    (groups times members), since the header counts them before they are written."""
    records: list[Record] = []
    for stream in streams:
        for _ in range(params.groups_per_org):
            t = _at(start, len(records), params.graph_rate)
            group, fields = stream.book.create(t, first + len(records))
            records.append({"t": t, "rpc": "CreateGroup", **stream.org, **fields})
            inviter = fields["creator_id"] if group.private else 0  # a private group's creator adds the rest
            for user in seed_members(stream.book, group, params.group_members):
                t = _at(start, len(records), params.graph_rate)
                records.append({"t": t, "rpc": "JoinGroup", **stream.org, **stream.book.join(group, user, t, inviter)})
    return records


def generate(params: GeneratorParams) -> tuple[TraceHeader, Iterator[Record]]:
    """The header and a lazy iterator of the records: the first calls of the users of organizations
    other than 0, the graph's follows, the groups and their first members, then the stream."""
    params.validate()
    rng = random.Random(params.seed)
    orgs = build_orgs(
        rng,
        params.users,
        params.orgs,
        params.mean_follows,
        params.celebrities,
        params.celebrity_reach,
        params.zipf,
        params.id_base,
    )
    warmup = sum(org.graph.users for org in orgs if org.org_id)
    edges = sum(org.graph.edge_count() for org in orgs)
    streams = [Stream(params, org, rng) for org in orgs]
    graph_start = _at(0, warmup, params.graph_rate) + GRAPH_GAP_MS if warmup else 0
    setup_start = _at(graph_start, edges, params.graph_rate) + GRAPH_GAP_MS
    setup = _group_setup(streams, params, setup_start, warmup + edges) if params.groups_per_org else []
    counts = {"warmup": warmup} if warmup else {}
    counts["graph"] = edges
    if setup:
        counts["groups"] = len(setup)
    total = warmup + edges + len(setup) + params.requests
    counts |= {"stream": params.requests, "requests": total}
    defaults = GeneratorParams(users=0, requests=0)
    header = TraceHeader(
        source="generate",
        seed=params.seed,
        params={  # organization fields only when set: a trace of one organization keeps its bytes of before
            k: v
            for k, v in dataclasses.asdict(params).items()
            if k != "seed" and not (k in ORG_FIELDS and v == getattr(defaults, k))
        },
        counts=counts,
    )

    def records() -> Iterator[Record]:
        n = 0
        for stream in streams:  # a first call of each user who must make one before being named
            for rank in range(stream.graph.users if stream.org else 0):
                user = stream.graph.user(rank)
                yield {"t": _at(0, n, params.graph_rate), "rpc": "GetHomeTimeline", **stream.org, "user_id": user}
                n += 1
        n = 0
        for stream in streams:
            for follower, followee in stream.graph.edges():
                t = _at(graph_start, n, params.graph_rate)
                yield {"t": t, "rpc": "Follow", **stream.org, "follower_id": follower, "followee_id": followee}
                n += 1
        yield from setup
        population = Population(streams, rng)
        kinds, weights = zip(*params.mix.items(), strict=True)
        t = (setup[-1]["t"] if setup else _at(graph_start, edges, params.graph_rate)) + GRAPH_GAP_MS
        clock = float(t)
        for n in range(params.requests):
            clock += rng.expovariate(params.rate) * 1000
            t = max(t, int(clock))
            yield population.build(rng.choices(kinds, weights)[0], t, total - params.requests + n)

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
