"""Reposts on the read side past a page (docs/reposts.md, docs/streams.md): newer walks and streams show a
post once across pages, and a stream names what the client saw when a repost is taken back. A stack of its
own: test_reposts.py flushes Redis, and read-time reposters registered after that are not what these test."""

from __future__ import annotations

import pytest

from tests.conftest import CELEBRITY_THRESHOLD
from tests.integration.stack import OrgUsers, client_of, drained, eventually, private_stack
from tests.integration.streams import Watcher, watch_live
from tests.integration.test_reposts import home, ids, repost, unrepost, users

pytestmark = pytest.mark.integration
USERS = OrgUsers()


@pytest.fixture(scope="module")
def rstack(tmp_path_factory):
    """A stack of this module's own, with the lowered celebrity threshold (read-time reposters)."""
    with private_stack(tmp_path_factory, "repostread", workers=1, celebrity_threshold=CELEBRITY_THRESHOLD) as running:
        yield running


@pytest.fixture(scope="module")
def rc(rstack):
    with client_of(rstack, USERS.org, USERS.is_admin) as c:
        yield c


def newer_walk(client, user: int, token: str, page_size: int = 2) -> list[tuple[int, int]]:
    """(post id, reposted by) of every entry the newer pages from token show (each page newest first),
    until an empty page."""
    entries: list[tuple[int, int]] = []
    for _ in range(1000):
        page = client.home(user, page_size, token)
        if not page.posts:
            return entries
        entries += [(p.post_id, p.reposted_by_user_id) for p in page.posts]
        token = page.prev_page_token
    raise AssertionError("the newer walk did not end")


def older_walk(client, user: int, token: str, page_size: int = 2) -> list[int]:
    """The post ids of every older page from token on."""
    found: list[int] = []
    for _ in range(1000):
        page = client.home(user, page_size, token)
        found += [p.post_id for p in page.posts]
        token = page.next_page_token
        if not token:
            return found
    raise AssertionError("the older walk did not end")


def test_a_walk_of_newer_pages_and_a_stream_do_not_show_again_a_post_shown_through_a_repost(rstack, rc):
    """Issue 23: a paging sequence never shows a post twice, whichever way it walks. A star (a read-time
    reposter, merged at read: the newest-40 rule of fan-out does not apply) reposts a post that the
    reader's first page showed through another repost."""
    a, b, star, reader = users(rc, 4)
    for fan in users(rc, CELEBRITY_THRESHOLD):
        rc.follow(fan, star)
    rc.follow(reader, b)
    rc.follow(reader, star)
    post = rc.post(a, "shared twice").post_id
    repost(rc, b, post)
    eventually(lambda: (post, b) in home(rc, reader))
    first = rc.home(reader, 5)
    assert [(p.post_id, p.reposted_by_user_id) for p in first.posts] == [(post, b)]
    eventually(lambda: drained(rstack), timeout_s=30)

    repost(rc, star, post)
    eventually(lambda: home(rc, reader)[:1] == [(post, star)])  # a fresh walk shows it at the star's repost
    later = [rc.post(b, f"after the star's repost {n}").post_id for n in range(3)]
    eventually(lambda: set(later) <= set(ids(rc, reader)))

    walked = newer_walk(rc, reader, first.prev_page_token)
    assert sorted(entry[0] for entry in walked) == later  # the post was shown already: not again
    newer = rc.home(reader, 2, first.prev_page_token)
    below = older_walk(rc, reader, newer.next_page_token)  # back down from the newer page: it remembers too
    assert post not in below
    watcher = Watcher(rstack.settings.stream_addr, reader, rc.acting_as(reader), first.prev_page_token)
    try:
        assert watcher.wait_for(lambda w: later[-1] in w.posts(), 10.0), watcher.posts()
        assert watcher.posts() == later
    finally:
        watcher.close()


def test_a_stream_announces_an_unrepost_by_the_post_it_showed_unless_another_entry_still_shows_it(rstack, rc):
    """Issue 23 follow-up: the client was shown the original's id (reposted_by_user_id set), never the
    repost's own; and a post the timeline still shows through another repost stays on screen."""
    a, b, star, reader = users(rc, 4)
    for fan in users(rc, CELEBRITY_THRESHOLD):
        rc.follow(fan, star)
    rc.follow(reader, b)
    rc.follow(reader, star)
    taken_back = rc.post(a, "shared, then taken back").post_id
    kept = rc.post(a, "shared by two").post_id
    watcher = watch_live(rc, rstack.settings.stream_addr, reader, b)
    try:
        repost(rc, b, taken_back)
        assert watcher.wait_for(lambda w: taken_back in w.posts(), 10.0)
        unrepost(rc, b, taken_back)
        assert watcher.wait_for(lambda w: w.deleted(), 10.0), watcher.events
        assert watcher.deleted() == [taken_back]

        repost(rc, b, taken_back)  # shown again: the stream forgot it when it told the client to remove it
        assert watcher.wait_for(lambda w: w.posts().count(taken_back) == 2, 10.0), watcher.posts()

        repost(rc, b, kept)
        assert watcher.wait_for(lambda w: kept in w.posts(), 10.0)
        repost(rc, star, kept)  # the star's read-time list holds it too
        marker = rc.post(b, "after the star's repost").post_id
        assert watcher.wait_for(lambda w: marker in w.posts(), 10.0)
        eventually(lambda: drained(rstack), timeout_s=30)
        unrepost(rc, b, kept)
        eventually(lambda: drained(rstack), timeout_s=30)  # applied and notified: before the marker's deletion
        rc.delete(b, marker)
        assert watcher.wait_for(lambda w: marker in w.deleted(), 10.0), watcher.events
        assert watcher.deleted() == [taken_back, marker], (
            kept,
            watcher.events,
        )  # kept is still shown, through the star's repost
        assert (kept, star) in home(rc, reader)
        assert watcher.posts().count(kept) == 1
    finally:
        watcher.close()
