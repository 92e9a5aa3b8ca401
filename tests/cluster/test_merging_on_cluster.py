"""tests/read/test_merging_one_round_trip.py's page semantics on a 3-master Redis Cluster: there the read-time
lists keep their calls of one slot each and hydration its MGET per slot (tl_sources_posts is no-cluster), and a
merging page shows the same posts: a deleted one dropped, an evicted one read from the store, a repost's original."""

from __future__ import annotations

from tests.cluster.rerun import functions_to_rerun
from tests.read import test_merging_one_round_trip as suite
from tests.read.test_merging_one_round_trip import ROUND_TRIPS, merging_reader, page, world, writes  # noqa: F401
from tests.read.world import ids, newest_first, samples

globals().update({k: v for k, v in functions_to_rerun(suite).items() if "round_trip" not in k})


def test_a_warm_merging_page_on_a_cluster_shows_the_newest_posts_of_every_list(world, writes):  # noqa: F811
    reader, friends, listed = merging_reader(world, writes)
    newest = newest_first(*friends, *listed)[:5]
    assert ids(page(world, reader, 5).posts) == newest
    trips = samples(ROUND_TRIPS)
    assert ids(page(world, reader, 5).posts) == newest
    assert samples(ROUND_TRIPS) - trips == 2  # the pipelined first round trip, then the MGETs (one per slot)
