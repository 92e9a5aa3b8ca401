"""Mutes and keyword filters in a generated trace: what later Unmute and DeleteFilter requests may name.

A reader mutes a loud account (drawn by popularity, as posts are) and writes filters of a
word or two; most last until undone, some an hour, a day or a week (the API's `duration_s`).
An Unmute or a DeleteFilter names one made at least min_age_ms earlier, the oldest first,
so a replay sending it on time finds it answered. Memory is bounded: at most POOL_MAX of
each are remembered (the rest stay in force, never named again), and a count of active
filters per user who has any keeps each under the API's 100.
"""

from __future__ import annotations

import random
from collections import Counter, deque

from feed.actions.quiet import MAX_FILTERS
from feed.loadtest.graph import SocialGraph
from feed.loadtest.trace import Record

POOL_MAX = 10_000  # per organization: mutes and filters later requests may undo
MUTE_DURATIONS_S = (0, 0, 0, 3_600, 86_400, 604_800)  # until unmuted mostly; else an hour, a day, a week
FILTER_DURATIONS_S = (0, 0, 0, 86_400, 604_800, 2_592_000)  # until deleted mostly; else a day, a week, 30 days
WHOLE_WORD_SHARE = 0.4
PHRASE_MEAN_CHARS = 9  # a word or two


class QuietBook:
    """One organization's mutes and filters, as the trace made them; each method returns a record's fields."""

    def __init__(self, graph: SocialGraph, rng: random.Random, min_age_ms: int) -> None:
        self.graph, self.rng, self.min_age_ms = graph, rng, min_age_ms
        self.mutes: deque[tuple[int, int, int]] = deque()  # (t, muter, muted), oldest first
        self.filters: deque[tuple[int, int, int]] = deque()  # (t, ordinal of its CreateFilter, user)
        self.active: Counter[int] = Counter()  # user -> filters in force that the trace made

    def mute(self, t: int) -> Record:
        muter = self.graph.any_user(self.rng)
        muted = self.graph.popular_user(self.rng)
        if muted == muter:  # nobody mutes themselves: the most popular other account instead
            muted = self.graph.user(0) if self.graph.rank(muter) else self.graph.user(1)
        if len(self.mutes) < POOL_MAX:
            self.mutes.append((t, muter, muted))
        fields: Record = {"muter_id": muter, "muted_id": muted}
        return fields | _duration(self.rng.choice(MUTE_DURATIONS_S))

    def unmute(self, t: int) -> Record | None:
        """The oldest mute old enough to be answered; None when there is none yet."""
        if not self.mutes or self.mutes[0][0] > t - self.min_age_ms:
            return None
        _, muter, muted = self.mutes.popleft()
        return {"muter_id": muter, "muted_id": muted}

    def create_filter(self, t: int, ordinal: int) -> Record | None:
        """A filter of a user under the API's bound (None: the user drawn has MAX_FILTERS already)."""
        user = self.graph.any_user(self.rng)
        if self.active[user] >= MAX_FILTERS:
            return None
        self.active[user] += 1
        if len(self.filters) < POOL_MAX:
            self.filters.append((t, ordinal, user))
        length = max(3, min(40, round(self.rng.expovariate(1.0 / PHRASE_MEAN_CHARS))))
        fields: Record = {"user_id": user, "phrase_len": length}
        if self.rng.random() < WHOLE_WORD_SHARE:
            fields["whole_word"] = True
        return fields | _duration(self.rng.choice(FILTER_DURATIONS_S))

    def delete_filter(self, t: int) -> Record | None:
        """The oldest filter old enough to be answered, by its user; None when there is none yet."""
        if not self.filters or self.filters[0][0] > t - self.min_age_ms:
            return None
        _, ordinal, user = self.filters.popleft()
        self.active[user] -= 1
        if not self.active[user]:
            del self.active[user]
        return {"user_id": user, "filter_ref": ordinal}


def _duration(seconds: int) -> Record:
    """duration_s when set; absent means until undone, as in the API."""
    return {"duration_s": seconds} if seconds else {}
