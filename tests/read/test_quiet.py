"""A reader's mutes and keyword filters as one set and one pattern: what they hide, and until when."""

from __future__ import annotations

from feed.domain import Post
from feed.read.filters import drop_muted_or_filtered
from feed.read.quiet import NOTHING, quiet_of
from feed.read.stages import ReadContext, ReadFacts
from feed.store.quiet import KeywordFilter, Mute

READER, FRIEND, PEST = 1, 2, 3


def post(post_id: int, text: str, author: int = FRIEND) -> Post:
    return Post(post_id, author, text, 0)


def phrase(text: str, whole_word: bool = False, expire_ms: int | None = None) -> KeywordFilter:
    return KeywordFilter(hash(text) & 0xFFFF, text, whole_word, expire_ms)


def hidden(filters: list[KeywordFilter], *texts: str) -> list[str]:
    quiet = quiet_of([], filters)
    return [t for n, t in enumerate(texts) if quiet.hides(post(n, t))]  # ids differ: verdicts are by post


def test_a_whole_word_filter_hides_the_word_in_any_case_and_not_a_longer_word():
    assert hidden([phrase("spoiler", whole_word=True)], "Spoiler alert!", "spoilers", "no SPOILER.", "unspoiler") == [
        "Spoiler alert!",
        "no SPOILER.",
    ]


def test_a_filter_that_is_not_whole_word_hides_the_phrase_inside_words_too():
    assert hidden([phrase("spoil")], "spoilers ahead", "Unspoiled", "sp oil") == ["spoilers ahead", "Unspoiled"]


def test_matching_is_unicode_aware_in_other_scripts():
    filters = [phrase("спойлер", whole_word=True), phrase("ネタバレ"), phrase("Straße", whole_word=True)]
    texts = ("Осторожно, СПОЙЛЕР!", "спойлеры", "映画のネタバレです", "STRASSE gesperrt", "Strassenbahn")
    assert hidden(filters, *texts) == ["Осторожно, СПОЙЛЕР!", "映画のネタバレです", "STRASSE gesperrt"]


def test_full_width_and_composed_forms_match_their_plain_phrase():
    assert hidden(
        [phrase("café", whole_word=True), phrase("abc")],
        "\uff23\uff41\uff46é time",
        "cafe\u0301 au lait",
        "\uff21\uff22\uff23",
    ) == [
        "\uff23\uff41\uff46é time",
        "cafe\u0301 au lait",
        "\uff21\uff22\uff23",
    ]


def test_a_phrase_with_regex_characters_is_taken_literally():
    assert hidden([phrase("c++", whole_word=True), phrase("a.b")], "I like C++!", "abc++", "axb", "a.b") == [
        "I like C++!",
        "a.b",
    ]


def test_phrases_sharing_a_prefix_each_match_on_their_own_terms():
    filters = [phrase("spoil", True), phrase("spoiler", True), phrase("spoilt", False), phrase("sp", True)]
    texts = ("spoil it", "a spoiler!", "spoils", "unspoilt", "spoilers", "sp.", "spa")
    assert hidden(filters, *texts) == ["spoil it", "a spoiler!", "unspoilt", "sp."]


def test_a_muted_author_is_hidden_and_everyone_else_kept_in_order():
    quiet = quiet_of([Mute(PEST)], [phrase("spoiler", True)])
    ctx = ReadContext(READER, 0, ReadFacts(quiet=quiet))
    posts = [post(5, "hi"), post(4, "hi", PEST), post(3, "a spoiler"), post(2, "spoilers")]
    result = drop_muted_or_filtered(posts, ctx)
    assert [p.post_id for p in result.kept] == [5, 2]
    assert result.removed == [4, 3]


def test_the_facts_hold_until_the_earliest_expiry_among_them():
    quiet = quiet_of([Mute(PEST, 5_000), Mute(FRIEND)], [phrase("x", expire_ms=3_000), phrase("y")])
    assert quiet.until_ms == 3_000
    assert quiet.holds_at(2_999) and not quiet.holds_at(3_000)
    assert quiet_of([Mute(PEST)], [phrase("y")]).holds_at(10**15)


def test_a_reader_with_nothing_muted_or_filtered_keeps_every_post():
    assert quiet_of([], []) is NOTHING
    posts = [post(2, "spoiler"), post(1, "x", PEST)]
    assert drop_muted_or_filtered(posts, ReadContext(READER, 0, ReadFacts(quiet=NOTHING))).kept == posts
    assert drop_muted_or_filtered(posts, ReadContext(READER, 0, ReadFacts())).kept == posts


def test_a_verdict_is_remembered_per_post_and_the_memory_stays_bounded():
    quiet = quiet_of([], [phrase("spoiler", True)])
    calls = []
    search = quiet.search
    object.__setattr__(quiet, "search", lambda text: calls.append(text) or search(text))
    assert quiet.hides(post(1, "a spoiler")) and quiet.hides(post(1, "a spoiler"))
    assert len(calls) == 1
    for n in range(2, 2000):
        quiet.hides(post(n, "fine"))
    assert len(quiet.verdicts) <= 256
