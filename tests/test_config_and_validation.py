from __future__ import annotations

import pytest

from feed.config import Settings
from feed.errors import InvalidArgument
from feed.validate import page_size, post_text


def test_defaults_match_the_documented_ones():
    s = Settings.from_env({})
    assert (s.write_addr, s.read_addr, s.timeline_max, s.post_max_chars) == (
        "127.0.0.1:50051",
        "127.0.0.1:50052",
        800,
        5000,
    )
    assert s.store_url == "sqlite:///var/feed.db"
    assert (s.read_rate_per_s, s.read_burst) == (50.0, 500)  # far above a person scrolling


def test_environment_overrides_defaults():
    s = Settings.from_env({"FEED_TIMELINE_MAX": "50", "FEED_STORE": "sqlite:///x.db", "FEED_KAFKA_BOOTSTRAP": "k:9092"})
    assert (s.timeline_max, s.store_url, s.kafka_bootstrap) == (50, "sqlite:///x.db", "k:9092")


def test_settings_round_trip_through_child_environment():
    s = Settings.from_env({"FEED_POST_MAX_CHARS": "10", "FEED_REDIS_URL": "redis://h:1/0"})
    assert Settings.from_env(s.env()) == s


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"FEED_TIMELINE_MAX": "lots"}, "FEED_TIMELINE_MAX must be an integer"),
        ({"FEED_TIMELINE_MAX": "0"}, "FEED_TIMELINE_MAX must be between"),
        ({"FEED_WRITE_ADDR": "nowhere"}, "FEED_WRITE_ADDR must be HOST:PORT"),
        ({"FEED_READ_RATE_PER_S": "-1"}, "FEED_READ_RATE_PER_S must be >= 0"),
        ({"FEED_READ_BURST": "0"}, "FEED_READ_BURST >= 1"),
    ],
)
def test_bad_settings_name_the_variable(env, needle):
    with pytest.raises(InvalidArgument, match=needle):
        Settings.from_env(env)


def test_page_size_defaults_clamps_and_refuses_negatives():
    assert page_size(0, 20, 100) == 20
    assert page_size(500, 20, 100) == 100
    with pytest.raises(InvalidArgument):
        page_size(-3, 20, 100)


def test_post_text_counts_characters_not_bytes():
    assert post_text("ü" * 5, 5) == "ü" * 5
    with pytest.raises(InvalidArgument, match="6 characters"):
        post_text("ü" * 6, 5)
