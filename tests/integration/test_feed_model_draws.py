"""The model-based test's rules draw from lists that must not depend on the clock: hypothesis replays a
choice sequence and expects the same lists (random exploration, seed 4, stopped with FlakyStrategyDefinition
when a 1 s mute ended between two runs of one prefix). No stack: the machine's lists come from its model."""

from __future__ import annotations

import time

from tests.integration.test_feed_model import make_machine


def test_what_the_rules_draw_from_is_the_same_before_and_after_a_timed_mute_ends():
    machine = make_machine(stack=None, client=None)()
    star, reader = machine.users[0], machine.users[1]
    machine.model.follows.add((reader, star))
    machine.model.posts[1] = star
    machine.model.post_group[1] = 0
    machine.model.texts[1] = "model post"
    now = time.time()
    machine.model.quiet.mute(reader, star, 1, (now, now))  # holds for about a second from now
    while_muted = (machine.seen_authors(), machine.seen_posts())
    machine.model.quiet.mute(reader, star, 1, (now - 5, now - 5))  # the same mute, over
    assert (machine.seen_authors(), machine.seen_posts()) == while_muted
