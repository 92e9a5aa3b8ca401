"""Apply: write a batch's plan to Redis in a few pipelined round trips; nothing here reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from feed.domain import Source
from feed.fanout.plan import FanoutPlan, ReadTimePost, recipients
from feed.timeline.audience import Audience
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore


def apply_plan(
    timelines: TimelineStore,
    read_time: ReadTimeSources,
    plan: FanoutPlan,
    progress: Callable[[], None] | None = None,
) -> int:
    """Write a plan to Redis; return the number of timeline insertions that landed.

    progress() is called between round trips of a long fan-out (the worker keeps
    its consumer-group membership alive there).
    """
    # Register read-time sources before their posts go anywhere, so a reader that can see
    # such a post in the source's list also knows to merge that list.
    for org_id, pairs in _by_org(plan.read_time_pushes).items():
        read_time.push(pairs, org_id)
    # One audience per source, whatever its number of posts; a group post's author is a
    # member (a former one no longer reads the group), so only author posts add the author.
    audiences: dict[tuple[int, Source, int], Audience] = {}
    posts = []
    for fanout in plan.fanouts:
        lone_author = fanout.author_id if fanout.source.group_id and not fanout.followers else 0
        key = (fanout.org_id, fanout.source, lone_author)
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = Audience(recipients(fanout), fanout.org_id)
        posts.append((fanout.post_id, audience))
    landed = timelines.fan_out(posts, progress)
    for removal in plan.removals:
        timelines.remove(removal.users, removal.post_ids, removal.org_id)
    for org_id, pairs in _by_org(plan.read_time_removals).items():
        read_time.remove(pairs, org_id)
    # Race: the posts to merge were listed when the batch was resolved, not now. Should the
    # process die before this point, nothing was committed: the batch is redelivered, resolved
    # again, and every write here is idempotent. A post created since was listed too late, but
    # its own PostCreated event reaches this follower or member: the follow (or join) was stored
    # before its event was published, so that post's fan-out, resolved after the post existed,
    # finds the new follower. A post deleted since may be merged after its delete was applied;
    # it is never shown: pages hydrate posts and drop deleted ones.
    for merge in plan.merges:
        timelines.merge(merge.user_id, merge.post_ids, merge.org_id)
    return landed


def _by_org(posts: Sequence[ReadTimePost]) -> dict[int, list[tuple[Source, int]]]:
    """Read-time posts as (source, post) pairs per organization, as ReadTimeSources takes them."""
    grouped: dict[int, list[tuple[Source, int]]] = defaultdict(list)
    for post in posts:
        grouped[post.org_id].append((post.source, post.post_id))
    return grouped
