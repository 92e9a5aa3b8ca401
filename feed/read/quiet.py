"""A reader's mutes and keyword filters as the read path uses them: one set and one pattern.

Loaded whole from the store (feed/store/quiet.py) by the follow guard, at most once a
page and, with the guard cache (feed/read/guard_cache.py), once per change of the
reader's relationship version: every Mute, Unmute, CreateFilter and DeleteFilter sets
a new one. The filters are compiled into ONE regular expression per reader, kept with
the facts, so a page pays one search per post whatever the number of filters: the
phrases go in as a trie (one branch per distinct next character), since Python's re
tries the alternatives of a flat "a|b|c..." one by one at every position of the text
(100 phrases: 3.4 ms a page of 20 posts, against 0.1 ms as a trie). The
facts hold until the earliest expiry among them (until_ms): from then on the guard
loads them again, so a mute or filter ends to the second without any write.

Matching is case-insensitive and Unicode-aware: text and phrases are NFKC-normalized
(full-width letters, ligatures and composed accents compare equal) and casefolded
("STRASSE" matches "straße"). A whole-word phrase must not touch a word character
(any script's letters and digits, re's Unicode \\w) on either side, so "spoiler" hides
"Spoiler alert!" and not "spoilers". Scripts written without spaces (Japanese,
Chinese, Thai) have no word boundaries to find: use whole_word false for them.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable

from feed.domain import Post
from feed.store.quiet import KeywordFilter, Mute, QuietStore

Search = Callable[[str], object]  # a compiled pattern's search: None when nothing matches
VERDICTS_MAX = 64  # filter verdicts one reader's facts remember (then all forgotten): a page and a refresh, ~5 KB


@dataclasses.dataclass(frozen=True, slots=True)
class Quiet:
    """What one reader hides now: posts by these authors, and posts whose text the pattern finds.

    Frozen: shared by every page of the reader that starts from the guard cache."""

    muted: frozenset[int]
    search: Search | None  # None: no filter
    until_ms: int | None  # the earliest expiry among them: these facts hold before it (None: until changed)
    size: int = 0  # mutes and filters it holds (what a cache of them bounds)
    # post id -> whether the pattern finds its text: a post's text never changes, and the same reader meets
    # the same posts again (the next page, a refresh, the stream). Shared by the reader's concurrent pages:
    # a dict's get and set are atomic, and a lost or repeated verdict is only work done twice.
    verdicts: dict[int, bool] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def holds_at(self, now_ms: int) -> bool:
        return self.until_ms is None or now_ms < self.until_ms

    def hides(self, post: Post) -> bool:
        """Whether the reader hides this post: a muted author or reposter, or a filtered phrase in its text."""
        if post.author_id in self.muted or post.reposted_by in self.muted:
            return True
        if self.search is None:
            return False
        verdict = self.verdicts.get(post.post_id)
        if verdict is None:
            verdict = self.search(normalize(post.text)) is not None
            if len(self.verdicts) >= VERDICTS_MAX:
                self.verdicts.clear()
            self.verdicts[post.post_id] = verdict
        return verdict


NOTHING = Quiet(frozenset(), None, None)


def normalize(text: str) -> str:
    """Text as phrases are compared with it: NFKC (ASCII text is already), then casefolded."""
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).casefold()


def compile_filters(filters: Iterable[KeywordFilter]) -> Search | None:
    """One pattern for every phrase (None for none): the whole-word phrases fenced off from word
    characters on both sides, the others anywhere."""
    whole, anywhere = [], []
    for f in filters:
        if phrase := normalize(f.phrase):  # never empty: an empty one would match every text
            (whole if f.whole_word else anywhere).append(phrase)
    parts = [rf"(?<!\w)(?:{trie_pattern(whole)})(?!\w)"] if whole else []
    if anywhere:
        parts.append(trie_pattern(anywhere))
    return re.compile("|".join(parts)).search if parts else None


def trie_pattern(phrases: Iterable[str]) -> str:
    """A pattern matching exactly these literals, shaped as their trie: "ab|ac" becomes "a(?:b|c)"."""
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}  # a phrase ends here

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # a phrase ending here: the rest is optional

    return emit(trie)


def quiet_of(mutes: list[Mute], filters: list[KeywordFilter]) -> Quiet:
    """The facts of these active mutes and filters, holding until the first of them expires."""
    if not mutes and not filters:
        return NOTHING
    expiries = [x.expire_ms for x in (*mutes, *filters) if x.expire_ms is not None]
    until = min(expiries) if expiries else None
    return Quiet(frozenset(m.muted_id for m in mutes), compile_filters(filters), until, len(mutes) + len(filters))


def load_quiet(store: QuietStore, reader_id: int, now_ms: int) -> Quiet:
    """The reader's mutes and filters active at now_ms, from the store (one call)."""
    return quiet_of(*store.active_quiet(reader_id, now_ms))
