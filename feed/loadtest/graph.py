"""The generated social graph: a power-law follower distribution with a tail of celebrities.

Who follows whom decides fan-out cost, so it is the one thing a synthetic trace must get
roughly right: most accounts have a handful of followers, a few have a large share of
everyone. Users are ranked by popularity (rank 0, user id_base + 1, is the most
followed); an edge's followee is drawn with Zipf weights 1/(rank+1)^s, and each
celebrity (the top ranks) is also followed by a fixed share of all users. With several
organizations each has a graph of its own (`build_orgs`): follows never cross
organizations, as the services refuse them.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from array import array
from collections.abc import Iterator

from feed.errors import InvalidArgument

DRAW_ATTEMPTS = 8  # per wanted edge: gives up on duplicates instead of looping on a tiny graph


class SocialGraph:
    """Users id_base+1 .. id_base+users, each with an array of followees (8 bytes an edge)."""

    def __init__(self, users: int, id_base: int, celebrities: int, zipf: float) -> None:
        if users < 2:
            raise InvalidArgument("a trace needs at least 2 users")
        if not 0 <= celebrities < users:
            raise InvalidArgument("celebrities must be fewer than users")
        self.users = users
        self.id_base = id_base
        self.celebrities = celebrities
        self.followees: list[array] = [array("Q") for _ in range(users)]
        self._cum = array("d", itertools.accumulate(1.0 / (rank + 1) ** zipf for rank in range(users)))

    def user(self, rank: int) -> int:
        return self.id_base + 1 + rank

    def rank(self, user: int) -> int:
        return user - self.id_base - 1

    def any_user(self, rng: random.Random) -> int:
        return self.user(rng.randrange(self.users))

    def popular_user(self, rng: random.Random, skip_celebrities: bool = False) -> int:
        """A user drawn by popularity: the followee of a new edge, the author of a post."""
        low = self._cum[self.celebrities - 1] if skip_celebrities and self.celebrities else 0.0
        x = low + rng.random() * (self._cum[-1] - low)
        return self.user(min(bisect.bisect_right(self._cum, x), self.users - 1))

    def add_follow(self, rng: random.Random, follower: int) -> int | None:
        """A new edge from follower to a popular user; None when the draws only found existing ones."""
        mine = self.followees[self.rank(follower)]
        for _ in range(DRAW_ATTEMPTS):
            followee = self.popular_user(rng)
            if followee != follower and followee not in mine:
                mine.append(followee)
                return followee
        return None

    def remove_follow(self, rng: random.Random) -> tuple[int, int] | None:
        """Drop a random existing edge of a random user; None when the users drawn follow nobody."""
        for _ in range(DRAW_ATTEMPTS):
            follower = self.any_user(rng)
            mine = self.followees[self.rank(follower)]
            if mine:
                i = rng.randrange(len(mine))
                mine[i], mine[-1] = mine[-1], mine[i]  # swap-remove: O(1), order does not matter
                return follower, mine.pop()
        return None

    def edges(self) -> Iterator[tuple[int, int]]:
        """(follower, followee) of every edge, follower by follower."""
        for rank, mine in enumerate(self.followees):
            follower = self.user(rank)
            for followee in mine:
                yield follower, followee

    def edge_count(self) -> int:
        return sum(len(mine) for mine in self.followees)


def build_graph(
    rng: random.Random,
    users: int,
    mean_follows: float,
    celebrities: int,
    celebrity_reach: float,
    zipf: float = 1.0,
    id_base: int = 0,
) -> SocialGraph:
    """Each user follows each celebrity with probability celebrity_reach, then about
    mean_follows minus those further accounts drawn by popularity (exponential out-degree)."""
    graph = SocialGraph(users, id_base, celebrities, zipf)
    rest_mean = max(0.0, mean_follows - celebrities * celebrity_reach)
    for rank in range(users):
        follower = graph.user(rank)
        mine = graph.followees[rank]
        for celebrity in range(celebrities):
            if celebrity != rank and rng.random() < celebrity_reach:
                mine.append(graph.user(celebrity))
        wanted = min(round(rng.expovariate(1.0 / rest_mean)) if rest_mean else 0, users - 1 - len(mine))
        for _ in range(wanted * DRAW_ATTEMPTS):
            if wanted == 0:
                break
            followee = graph.popular_user(rng, skip_celebrities=True)
            if followee != follower and followee not in mine:
                mine.append(followee)
                wanted -= 1
    return graph


@dataclasses.dataclass(frozen=True)
class Org:
    """One organization of a generated population: its id and a social graph of its own."""

    org_id: int
    graph: SocialGraph


def build_orgs(
    rng: random.Random,
    users: int,
    orgs: int,
    mean_follows: float,
    celebrities: int,
    celebrity_reach: float,
    zipf: float = 1.0,
    id_base: int = 0,
) -> list[Org]:
    """Users split into organizations 0 .. orgs-1 (consecutive ids; the first ones get one user
    more when orgs does not divide users), each with its own graph, since nobody follows across
    organizations. One organization is exactly build_graph's population, as before organizations."""
    if orgs < 1 or users < 2 * orgs:
        raise InvalidArgument("orgs must be at least 1, with at least 2 users each")
    result: list[Org] = []
    base = id_base
    for org_id in range(orgs):
        size = users // orgs + (1 if org_id < users % orgs else 0)
        stars = celebrities if orgs == 1 else min(celebrities, size - 1)  # one org: refuse as before
        result.append(Org(org_id, build_graph(rng, size, mean_follows, stars, celebrity_reach, zipf, base)))
        base += size
    return result
