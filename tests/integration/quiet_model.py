"""The reference model's mutes and keyword filters: which posts a reader hides, and when.

Written apart from feed/read/quiet.py on purpose (one phrase at a time, a plain find and a
look at the characters on either side, no regular expression): a model sharing the
production matcher would agree with its bugs.

A mute with a duration ends at a moment the test only knows within the span of the Mute
call (the server takes its own "now"), and a read is served at some moment within its own
span: so whether a mute still held during a read is True, False, or None (it may have ended
meanwhile). Safety checks allow either answer for None; exact checks read again until no
mute of the reader is in that state (settled).
"""

from __future__ import annotations

import dataclasses
import unicodedata

Span = tuple[float, float]  # epoch seconds: from before a call was sent to after its answer came
CLOCK_SLACK_S = 0.01  # the server keeps milliseconds, truncated: a mute may end this much early (or late)


@dataclasses.dataclass(frozen=True)
class FilterModel:
    user: int
    phrase: str  # as the server keeps it: trimmed
    whole_word: bool


def fold(text: str) -> str:
    """Text as the API compares it: compatibility-normalized (NFKC), then casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_word_char(ch: str) -> bool:
    """A letter or digit of any script, or _ (what re's Unicode \\w matches); "" (the text's edge) is none."""
    return ch.isalnum() or ch == "_"


def contains(text: str, phrase: str, whole_word: bool) -> bool:
    """Whether the phrase occurs in the text, on word boundaries (no letter, digit or _ touching it) if whole_word."""
    text, phrase = fold(text), fold(phrase)
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        before, after = text[at - 1 : at] if at else "", text[end : end + 1]
        if not whole_word or not (is_word_char(before) or is_word_char(after)):
            return True
        at = text.find(phrase, at + 1)
    return False


@dataclasses.dataclass
class QuietModel:
    """Every user's mutes and filters, as the calls that succeeded left them."""

    # (muter, muted) -> the span within which the mute ends (None: until unmuted)
    mutes: dict[tuple[int, int], Span | None] = dataclasses.field(default_factory=dict)
    filters: dict[int, FilterModel] = dataclasses.field(default_factory=dict)  # filter id -> filter

    def mute(self, muter: int, muted: int, duration_s: int, called: Span) -> None:
        """A Mute that succeeded during called: it replaces an earlier mute of the same user."""
        first, last = called[0] + duration_s - CLOCK_SLACK_S, called[1] + duration_s + CLOCK_SLACK_S
        self.mutes[(muter, muted)] = None if duration_s == 0 else (first, last)

    def unmute(self, muter: int, muted: int) -> None:
        self.mutes.pop((muter, muted), None)

    def muted(self, reader: int, author: int, read: Span) -> bool | None:
        """Whether the reader's mute of author held throughout the read (None: it may have ended meanwhile)."""
        if (reader, author) not in self.mutes:
            return False
        ends = self.mutes[(reader, author)]
        if ends is None or ends[0] > read[1]:
            return True
        return False if ends[1] <= read[0] else None

    def filtered(self, reader: int, text: str) -> bool:
        return any(f.user == reader and contains(text, f.phrase, f.whole_word) for f in self.filters.values())

    def hides(self, reader: int, author: int, text: str, read: Span) -> bool | None:
        """Whether the reader hides a post of author with this text during the read (None: may or may not)."""
        return True if self.filtered(reader, text) else self.muted(reader, author, read)

    def settled(self, reader: int, read: Span) -> bool:
        """Whether none of the reader's mutes may have ended during the read: an exact check may be made."""
        return all(self.muted(reader, author, read) is not None for muter, author in self.mutes if muter == reader)

    def filters_of(self, user: int) -> list[int]:
        return sorted(i for i, f in self.filters.items() if f.user == user)
