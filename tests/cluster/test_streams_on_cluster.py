"""The stream suite against a stack whose Redis is a 3-master Redis Cluster: the worker's PUBLISH
goes through the cluster client and the read process subscribes on one node of it."""

from __future__ import annotations

from tests.integration import test_streams as suite

pytestmark = suite.pytestmark

# CLIENT KILL of the subscription needs the node the read process chose: the standalone suite covers it.
test_a_followers_stream_gets_a_new_post_and_its_deletion_within_a_second = (
    suite.test_a_followers_stream_gets_a_new_post_and_its_deletion_within_a_second
)
test_resuming_with_the_last_token_delivers_exactly_the_missed_posts_then_live_ones = (
    suite.test_resuming_with_the_last_token_delivers_exactly_the_missed_posts_then_live_ones
)
test_blocked_authors_and_private_groups_never_arrive_and_new_followees_do = (
    suite.test_blocked_authors_and_private_groups_never_arrive_and_new_followees_do
)
