"""The read path's filters: pure functions over posts and facts fetched beforehand.

Each drops one kind of post a reader must not see, even while the fan-out
workers are still catching up (an unfollow, a block or a leave is applied to
Redis later than to the store), and reports what it kept and removed. The stage
names are stable strings: they label feed_read_stage_posts_total. To hide a
new kind of post, add its facts to ReadFacts, a filter here, and a FilterStage
to the readers' lists (for_good only if what it hides can never be shown again).
"""

from __future__ import annotations

from feed.domain import Post
from feed.read.stages import FilterResult, FilterStage, ReadContext, StageCounts, split

DELETED = "deleted"
OTHER_ORGANIZATION = "other_organization"
UNFOLLOWED_AUTHOR = "unfollowed_author"
NOT_A_MEMBER = "not_a_member"
BLOCKED_AUTHOR = "blocked_author"
MUTED_OR_FILTERED = "muted_or_filtered"


def drop_deleted(ids: list[int], found: dict[int, Post]) -> FilterResult:
    """Hydration's filter: the posts of the ids that hydrated, in order; deleted and unknown ids have none."""
    kept = [found[i] for i in ids if i in found]
    if len(kept) == len(ids):
        return FilterResult(kept, [])
    return FilterResult(kept, [i for i in ids if i not in found])


def drop_other_organization(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep posts of the reader's own organization (defence in depth: the keys carry it already)."""
    org = ctx.org_id
    return split(posts, [p for p in posts if p.org_id == org])


def drop_unfollowed_authors(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep posts to followers only when the reader wrote them or follows their author now."""
    reader, followed = ctx.reader_id, ctx.facts.followed
    return split(posts, [p for p in posts if p.group_id or p.author_id == reader or p.author_id in followed])


def drop_groups_not_joined(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep group posts only of groups the reader is a member of now."""
    groups = ctx.facts.groups
    return split(posts, [p for p in posts if not p.group_id or p.group_id in groups])


def drop_blocked_authors(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep group posts only by authors with no block between them and the reader, either way (a block
    also ends the follows both ways, so posts to followers are already covered by drop_unfollowed_authors)."""
    blocked = ctx.facts.blocked
    return split(posts, [p for p in posts if not p.group_id or p.author_id not in blocked])


def drop_muted_or_filtered(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Drop posts of authors the reader muted and posts whose text has a phrase the reader filters
    (feed/read/quiet.py); hidden only while the mute or filter lasts."""
    quiet = ctx.facts.quiet
    if quiet is None or not quiet.size:
        return FilterResult(posts, [])
    hides = quiet.hides
    return split(posts, [p for p in posts if not hides(p)])


DELETED_COUNTS = StageCounts(DELETED)
# The home timeline's filters, in order. Each sees only what the ones before it kept, so a post
# is counted as removed by the first filter that drops it.
# All of them hide for good (read repair removes what they drop from the reader's timeline): an
# unfollow or a leave is undone only by a new follow or join, which backfills; an unblock brings
# back no post repaired away. But for the last: mutes and filters hide for a while (until they end
# or are undone, and the post must come back), so they are not for_good and read repair leaves them.
QUIET_STAGE = FilterStage(MUTED_OR_FILTERED, drop_muted_or_filtered, for_good=False)
HOME_FILTERS: tuple[FilterStage, ...] = (
    FilterStage(OTHER_ORGANIZATION, drop_other_organization, for_good=True),
    FilterStage(UNFOLLOWED_AUTHOR, drop_unfollowed_authors, for_good=True),
    FilterStage(NOT_A_MEMBER, drop_groups_not_joined, for_good=True),
    FilterStage(BLOCKED_AUTHOR, drop_blocked_authors, for_good=True),
    QUIET_STAGE,
)
# A group's timeline: the caller's access to the group is checked before reading it.
GROUP_FILTERS: tuple[FilterStage, ...] = (HOME_FILTERS[3], QUIET_STAGE)
