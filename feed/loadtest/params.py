"""What shapes a generated trace: its parameters and request mix, recorded in the trace's header."""

from __future__ import annotations

import dataclasses

from feed.errors import InvalidArgument
from feed.loadtest.trace import RPCS

# Mutes and filters: rare next to reads and posts (a user quiets something now and then), 0.7% together.
QUIET_MIX = {"Mute": 0.3, "Unmute": 0.1, "CreateFilter": 0.2, "DeleteFilter": 0.1}
# Reposts: about one for every ten posts, and now and then one taken back; 1.1% together.
REPOST_MIX = {"Repost": 1.0, "Unrepost": 0.1}
DEFAULT_MIX = {  # percent of the timed stream; reads dominate, as on every feed
    "GetHomeTimeline": 53.2,
    "GetUserTimeline": 12.0,
    "CreatePost": 12.0,
    "GetPost": 6.0,
    "Follow": 5.0,
    "Unfollow": 2.0,
    "DeletePost": 2.0,
    "ListFollowers": 3.0,
    "ListFollowing": 3.0,
    **QUIET_MIX,
    **REPOST_MIX,
}
DEFAULT_GROUP_MIX = {  # the default when there are groups: about a sixth of the traffic is theirs
    "GetHomeTimeline": 42.2,
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
    **QUIET_MIX,
    **REPOST_MIX,
}


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
