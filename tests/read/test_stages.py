"""The filter stage list: order, names as metric labels, and counting per stage."""

from __future__ import annotations

from prometheus_client import REGISTRY

from feed.domain import Post
from feed.read import filters
from feed.read.filters import GROUP_FILTERS, HOME_FILTERS
from feed.read.stages import FilterStage, ReadContext, ReadFacts, run_filters, split

METRIC = "feed_read_stage_posts_total"
READER, FRIEND, STRANGER, PEST, CLUB, OTHER_CLUB, ORG = 1, 2, 3, 4, 10, 11, 5


def count(stage: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(METRIC, {"stage": stage, "outcome": outcome}) or 0.0


def post(post_id: int, author: int, group: int = 0, org: int = ORG) -> Post:
    return Post(post_id, author, "", 0, group_id=group, org_id=org)


def test_home_filters_run_in_their_documented_order():
    names = [s.name for s in HOME_FILTERS]
    assert names == [
        "other_organization",
        "unfollowed_author",
        "not_a_member",
        "blocked_author",
        "muted_or_filtered",
        "duplicate_post",
    ]
    assert [s.name for s in GROUP_FILTERS] == ["blocked_author", "muted_or_filtered"]


def test_every_stage_series_is_exported_from_zero_before_any_read():
    exported = {
        (s.labels["stage"], s.labels["outcome"]) for m in REGISTRY.collect() for s in m.samples if s.name == METRIC
    }
    for stage in [*HOME_FILTERS, *GROUP_FILTERS]:
        assert {(stage.name, "kept"), (stage.name, "removed")} <= exported
    assert {(filters.DELETED, "kept"), (filters.DELETED, "removed")} <= exported


def test_the_home_filters_keep_only_what_the_reader_may_see_and_count_each_removal_once():
    posts = [
        post(9, FRIEND),
        post(8, FRIEND, org=ORG + 1),  # another organization (and unfollowed there: counted once, first)
        post(7, STRANGER),
        post(6, FRIEND, group=OTHER_CLUB),
        post(5, PEST, group=CLUB),
        post(4, STRANGER, group=CLUB),
    ]
    ctx = ReadContext(READER, ORG, ReadFacts({FRIEND}, {CLUB}, {PEST}))
    names = [s.name for s in HOME_FILTERS]
    before = {(n, o): count(n, o) for n in names for o in ("kept", "removed")}

    kept = run_filters(HOME_FILTERS, posts, ctx)

    assert [p.post_id for p in kept] == [9, 4]
    moved = {key: count(*key) - value for key, value in before.items()}
    assert moved == {
        ("other_organization", "kept"): 5,
        ("other_organization", "removed"): 1,
        ("unfollowed_author", "kept"): 4,
        ("unfollowed_author", "removed"): 1,
        ("not_a_member", "kept"): 3,
        ("not_a_member", "removed"): 1,
        ("blocked_author", "kept"): 2,
        ("blocked_author", "removed"): 1,
        ("muted_or_filtered", "kept"): 2,
        ("muted_or_filtered", "removed"): 0,
        ("duplicate_post", "kept"): 2,
        ("duplicate_post", "removed"): 0,
    }


def test_a_new_filter_stage_plugs_into_the_list():
    def drop_odd(posts, ctx):
        return split(posts, [p for p in posts if p.post_id % 2 == 0])

    stage = FilterStage("test_odd", drop_odd)
    ctx = ReadContext(READER, ORG, ReadFacts({FRIEND}, set(), set()))
    kept = run_filters((*HOME_FILTERS, stage), [post(9, FRIEND), post(8, FRIEND), post(7, STRANGER)], ctx)
    assert [p.post_id for p in kept] == [8]
    assert count("test_odd", "removed") == 1
