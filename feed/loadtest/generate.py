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

from feed.loadtest.graph import build_orgs
from feed.loadtest.groups import Group, seed_members
from feed.loadtest.params import GeneratorParams
from feed.loadtest.stream import Population, Stream
from feed.loadtest.trace import Record, TraceHeader, TraceWriter

ORG_FIELDS = ("orgs", "groups_per_org", "private_groups", "group_members", "group_posts")
GRAPH_GAP_MS = 1_000  # pause between the graph and the stream, for the fan-out of the follows to settle


def _at(start: int, n: int, rate: float) -> int:
    """The offset of the n-th request of a phase sent at rate per second from start."""
    return start + int(n * 1000 / rate)


def _group_setup(streams: list[Stream], params: GeneratorParams, start: int, first: int) -> list[Record]:
    """Each organization's groups and their first members, at the graph's rate: held in memory
    (groups times members), since the header counts them before they are written."""
    records: list[Record] = []
    invited: list[tuple[Stream, Group]] = []
    for stream in streams:
        for _ in range(params.groups_per_org):
            t = _at(start, len(records), params.graph_rate)
            group, fields = stream.book.create(t, first + len(records))
            records.append({"t": t, "rpc": "CreateGroup", **stream.org, **fields})
            for user in seed_members(stream.book, group, params.group_members):
                t = _at(start, len(records), params.graph_rate)
                if group.private:  # the creator invites the rest, who accept below
                    fields = stream.book.invite(group, user, t, group.members.ids[0])
                else:
                    fields = stream.book.join(group, user, t)
                records.append({"t": t, "rpc": "JoinGroup", **stream.org, **fields})
            if group.invited:
                invited.append((stream, group))
    # Each invitee accepts once their invitation has settled, by their own JoinGroup.
    for stream, group in invited:
        for user, (invited_at, creator) in list(group.invited.items()):
            t = max(records[-1]["t"], _at(start, len(records), params.graph_rate), invited_at + stream.book.settle)
            group.members.used[creator] = t
            records.append({"t": t, "rpc": "JoinGroup", **stream.org, **stream.book.join(group, user, t)})
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
