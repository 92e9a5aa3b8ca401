"""Apply: write a batch's plan to Redis in a few pipelined round trips.

Nothing here reads but a delete's audience, walked from the store a page at a
time (feed/fanout/resolve.py AudiencePages): its removals go out
REMOVE_BATCH timelines per round trip, so an author with millions of followers
costs bounded memory and bounded calls, and the worker's poll is kept alive
between them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from feed.domain import Source
from feed.fanout.plan import Deletion, FanoutPlan, ReadTimePost, recipients
from feed.redis.post_cache import PostCache
from feed.timeline.audience import Audience
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore

REMOVE_BATCH = 1000  # timelines per round trip of a delete's removals: bounds one pipeline's size


def apply_plan(
    timelines: TimelineStore,
    read_time: ReadTimeSources,
    plan: FanoutPlan,
    progress: Callable[[], None] | None = None,
    post_cache: PostCache | None = None,
) -> int:
    """Write a plan to Redis; return the number of timeline insertions that landed.

    progress() is called between round trips of a long fan-out or delete (the worker
    keeps its consumer-group membership alive there). Deleted posts are tombstoned in
    post_cache too, should the write service's tombstone have failed.
    """
    # Register read-time sources before their posts go anywhere, so a reader that can see
    # such a post in the source's list also knows to merge that list.
    for org_id, pairs in _by_org(plan.read_time_pushes).items():
        read_time.push(pairs, org_id)
    # One audience per source, whatever its number of posts; a group post's author is a
    # member (a former one no longer reads the group), so only author posts add the author.
    audiences: dict[tuple[int, Source, int], Audience] = {}
    posts, reposts = [], []
    for fanout in plan.fanouts:
        lone_author = fanout.author_id if fanout.source.group_id and not fanout.followers else 0
        key = (fanout.org_id, fanout.source, lone_author)
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = Audience(recipients(fanout), fanout.org_id)
        if fanout.original_id:  # a repost: pushed only where its post is not among the newest entries
            reposts.append((fanout.post_id, fanout.original_id, audience))
        else:
            posts.append((fanout.post_id, audience))
    landed = timelines.fan_out(posts, progress)
    if reposts:
        landed += timelines.fan_out_reposts(reposts)
    for deletion in plan.deletions:
        delete_everywhere(timelines, deletion, progress, post_cache)
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


def delete_everywhere(
    timelines: TimelineStore,
    deletion: Deletion,
    progress: Callable[[], None] | None = None,
    post_cache: PostCache | None = None,
) -> None:
    """Take deleted posts out of the author's timeline and their whole audience's, REMOVE_BATCH at a time."""
    if post_cache is not None:
        for post_id in deletion.post_ids:  # first: readers stop being served it before the lists change
            post_cache.mark_deleted(post_id)
    timelines.remove([deletion.author_id], deletion.post_ids, deletion.org_id)
    for page in deletion.audience:
        for start in range(0, len(page), REMOVE_BATCH):
            timelines.remove(page[start : start + REMOVE_BATCH], deletion.post_ids, deletion.org_id)
            if progress is not None:
                progress()


def _by_org(posts: Sequence[ReadTimePost]) -> dict[int, list[tuple[Source, int]]]:
    """Read-time posts as (source, post) pairs per organization, as ReadTimeSources takes them."""
    grouped: dict[int, list[tuple[Source, int]]] = defaultdict(list)
    for post in posts:
        grouped[post.org_id].append((post.source, post.post_id))
    return grouped
