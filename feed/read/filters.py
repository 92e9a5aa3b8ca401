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
DUPLICATE = "duplicate_post"


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
    """Keep posts to followers only when the reader wrote them or follows their author now; reposts (of any
    post) only when the reader made them or follows their reposter now."""
    reader, followed = ctx.reader_id, ctx.facts.followed
    kept = [
        p
        for p in posts
        if (
            (p.group_id or p.author_id == reader or p.author_id in followed)
            if not p.reposted_by  # the common post, tested as before reposts existed
            else (p.reposted_by == reader or p.reposted_by in followed)
        )
    ]
    return split(posts, kept)


def drop_groups_not_joined(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep group posts only of groups the reader is a member of now."""
    groups = ctx.facts.groups
    return split(posts, [p for p in posts if not p.group_id or p.group_id in groups])


def drop_blocked_authors(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep group posts and reposts only with no block between the reader and their author or reposter, either
    way (a block also ends the follows both ways, so posts to followers are already covered by
    drop_unfollowed_authors)."""
    blocked = ctx.facts.blocked
    kept = [
        p
        for p in posts
        if not (p.group_id or p.reposted_by) or (p.author_id not in blocked and p.reposted_by not in blocked)
    ]
    return split(posts, kept)


def drop_duplicates(posts: list[Post], ctx: ReadContext) -> FilterResult:
    """Keep the newest entry of each post (a repost, or the post itself) among this page's and the ids in
    ctx.facts.shown: the originals that earlier pages of the walk showed through reposts (docs/reposts.md).
    On a newer page, a repost is also dropped when the walk went over its post (ctx.facts.walked) and the
    reader reads that post's source: the walk showed it as itself (feed/read/newer.py). A page without
    reposts and with nothing shown before costs one scan."""
    facts = ctx.facts
    shown = facts.shown
    if not shown and not any(p.repost_of for p in posts):
        return FilterResult(posts, [])
    bottom, top = facts.walked
    kept = []
    for p in posts:
        original = p.repost_of or p.post_id
        if original in shown:
            continue
        shown.add(original)
        if p.repost_of and bottom <= p.repost_of <= top and _reads_source_of(p, ctx):
            continue
        kept.append(p)
    return split(posts, kept)


def _reads_source_of(repost: Post, ctx: ReadContext) -> bool:
    """Whether the reader's timeline holds the reposted post as itself, as far as the facts tell: a group's
    the reader is a member of, or an author's they are or follow (an author the guard was not asked about
    counts as not followed: the repost is shown, as before walks had bottoms)."""
    if repost.group_id:
        return repost.group_id in ctx.facts.groups
    return repost.author_id == ctx.reader_id or repost.author_id in ctx.facts.followed


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
    # Last, so only posts the page shows count as shown; not for good: the entry shown may go (an unrepost).
    FilterStage(DUPLICATE, drop_duplicates, for_good=False),
)
# A group's timeline: the caller's access to the group is checked before reading it.
GROUP_FILTERS: tuple[FilterStage, ...] = (HOME_FILTERS[3], QUIET_STAGE)
