"""A newer walk and a repost of a post its first page showed as itself (found by the model-based test's
random exploration, seed 1: "newer page repeats"; triage in the modeltriage branch).

docs/reposts.md says a newer walk need not remember the posts it showed directly, because "a repost of one
of them lands in a fanned-out timeline only once the post is out of the newest 40 entries". That holds for
a post in the reader's list only: a post from a read-time source (a star's, or a crowded group's) is never
in the list, so the newest-40 rule lets a repost of it in, and the next newer page showed the post again.
A newer token now carries its walk's bottom (feed/read/newer.py): a repost of a post between it and the
cursor, from a source the reader reads, was walked over and is hidden."""

from __future__ import annotations

import pytest

from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import drained, eventually
from tests.integration.test_reposts import home, repost, users

pytestmark = pytest.mark.integration


def test_a_newer_page_does_not_show_again_through_a_repost_a_star_post_the_first_page_showed(
    semantics_stack, sem_client
):
    client = sem_client
    star, friend, reader = users(client, 3)
    for fan in users(client, CELEBRITY_THRESHOLD):
        client.follow(fan, star)
    client.follow(reader, star)
    client.follow(reader, friend)
    # Backfilled before the post: a follow applied while the post is being listed may copy it into the reader's
    # list too, and the newest-40 rule would then keep the repost out (a race the model's sequence does not need).
    eventually(lambda: drained(semantics_stack), timeout_s=30)
    post = client.post(star, "a star's post").post_id
    eventually(lambda: home(client, reader)[:1] == [(post, 0)])
    first = client.home(reader, 5)
    assert [(p.post_id, p.reposted_by_user_id) for p in first.posts] == [(post, 0)]  # from the star's list

    repost(client, friend, post)
    eventually(lambda: drained(semantics_stack), timeout_s=30)
    marker = client.post(friend, "after the repost").post_id
    eventually(lambda: marker in [p for p, _ in home(client, reader)])

    newer = client.home(reader, 5, first.prev_page_token)
    assert [p.post_id for p in newer.posts] == [marker]  # the star's post was shown already: not again
