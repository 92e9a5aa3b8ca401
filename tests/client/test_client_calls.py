"""The client's calls against a real stack: plain values in and out, paging, typed errors, deadlines."""

from __future__ import annotations

import signal
import time

import pytest

from feed.access.tokens import mint
from feed.client import (
    DeadlineExceeded,
    FeedClient,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Post,
    Unauthenticated,
    Visibility,
)
from tests.client.stack_client import client_for
from tests.integration.stack import eventually, new_user, start_replica, wait_listening

pytestmark = pytest.mark.integration


def test_the_home_timeline_iterator_shows_120_posts_each_once_newest_first(feed_client):
    author, reader = new_user(), new_user()
    feed_client.follow(reader, author)
    before = feed_client.home_page(reader).prev_page_token
    made = [feed_client.create_post(author, f"post {n}").post_id for n in range(120)]
    eventually(lambda: len(list(feed_client.home_timeline(reader, page_size=100))) == 120, 30)

    seen = [post.post_id for post in feed_client.home_timeline(reader, page_size=7)]

    assert seen == made[::-1]
    assert [p.post_id for p in feed_client.home_timeline(reader, limit=10, page_size=7)] == made[::-1][:10]
    newer = feed_client.newer(reader, before, page_size=9)
    assert [post.post_id for post in newer] == made  # oldest first: the order they came in
    assert list(feed_client.newer(reader, newer.token)) == []  # the token after them: nothing newer yet


def test_values_come_back_as_plain_types(feed_client):
    author, member = new_user(), new_user()
    group = feed_client.create_group(author, "readers", Visibility.PRIVATE)
    post = feed_client.create_post(author, "typed", group_id=group.group_id)

    assert isinstance(post, Post) and post.text == "typed" and post.group_id == group.group_id
    assert post.created_at.tzinfo is not None
    assert feed_client.get_post(author, post.post_id) == post
    assert group.visibility is Visibility.PRIVATE and group.creator_id == author
    assert [p.post_id for p in feed_client.group_timeline(author, group.group_id)] == [post.post_id]
    feed_client.invite(author, group.group_id, member)
    feed_client.join_group(member, group.group_id)
    assert sorted(feed_client.group_members(author, group.group_id, page_size=1)) == sorted([author, member])
    assert group.group_id in [g.group_id for g in feed_client.my_groups(member)]
    feed_client.leave_group(member, group.group_id)
    with pytest.raises(NotFound):
        feed_client.get_group(member, group.group_id)


def test_graph_mutes_filters_and_markers_round_trip(feed_client):
    user, other, third = new_user(), new_user(), new_user()
    feed_client.follow(user, other)
    feed_client.follow(third, user)
    assert list(feed_client.list_following(user)) == [other]
    assert list(feed_client.list_followers(user)) == [third]
    feed_client.mute(user, other, duration_s=60)
    [mute] = feed_client.list_mutes(user)
    assert mute.user_id == other and mute.expires_at is not None
    feed_client.unmute(user, other)
    assert list(feed_client.list_mutes(user)) == []
    made = feed_client.create_filter(user, "  spoiler ", whole_word=True)
    assert feed_client.list_filters(user) == [made] and made.phrase == "spoiler" and made.expires_at is None
    feed_client.delete_filter(user, made.filter_id)
    assert feed_client.list_filters(user) == []
    post = feed_client.create_post(other, "marked")
    assert feed_client.get_read_marker(user).version == 0
    marker = feed_client.set_read_marker(user, post.post_id, 0)
    assert (marker.post_id, marker.version) == (post.post_id, 1)
    assert feed_client.get_read_marker(user) == marker


def test_errors_are_typed_and_carry_the_servers_message(stack, feed_client):
    author, other = new_user(), new_user()
    post = feed_client.create_post(author, "mine")
    s = stack.settings
    with FeedClient(s.write_addr, s.read_addr, s.stream_addr, "nonsense") as bad, pytest.raises(Unauthenticated):
        bad.home_page(author)
    someone_else = mint(stack.keys, other)  # a fixed token: every call acts as other
    theirs = FeedClient(s.write_addr, s.read_addr, s.stream_addr, token_source=someone_else)
    with theirs, pytest.raises(PermissionDenied, match="author_id must be the user of the token"):
        theirs.delete_post(author, post.post_id)
    with pytest.raises(InvalidArgument):
        feed_client.create_post(author, "")
    with pytest.raises(NotFound):
        feed_client.delete_post(author, post.post_id + 1)


def test_a_call_to_a_hung_service_ends_at_its_deadline(stack, tmp_path):
    proc, addr = start_replica(stack, "read", tmp_path)
    try:
        wait_listening(proc, addr)
        proc.signal(signal.SIGSTOP)  # the port still accepts connections; nothing answers
        with client_for(stack, timeout_s=0.5, read_addr=addr) as client:
            start = time.monotonic()
            with pytest.raises(DeadlineExceeded):
                client.home_page(new_user())
            assert time.monotonic() - start < 5
    finally:
        proc.signal(signal.SIGCONT)
        proc.stop()


def test_a_repost_reaches_the_reposters_followers_with_its_reposter_and_count(feed_client):
    author, reposter, reader = new_user(), new_user(), new_user()
    feed_client.follow(reader, reposter)  # the reader does not follow the author
    post = feed_client.create_post(author, "worth sharing")

    shared = feed_client.repost(reposter, post.post_id)
    again = feed_client.repost(reposter, post.post_id)  # idempotent: the same repost

    assert (shared.post_id, shared.reposted_by_user_id, shared.repost_count) == (post.post_id, reposter, 1)
    assert again == shared
    eventually(lambda: [p.post_id for p in feed_client.home_timeline(reader)] == [post.post_id], 30)
    [seen] = feed_client.home_timeline(reader)
    assert (seen.reposted_by_user_id, seen.repost_count, seen.text) == (reposter, 1, "worth sharing")
    assert feed_client.get_post(author, post.post_id).repost_count == 1

    feed_client.unrepost(reposter, post.post_id)
    feed_client.unrepost(reposter, post.post_id)  # nothing left to take back: fine
    eventually(lambda: list(feed_client.home_timeline(reader)) == [], 30)
    assert feed_client.get_post(author, post.post_id).repost_count == 0
    with pytest.raises(NotFound):
        feed_client.repost(reposter, post.post_id + 1)  # no such post
