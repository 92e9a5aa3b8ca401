"""The gateway's settings read from the environment as the chart and `feed up` write them."""

from __future__ import annotations

import pytest

from feed.config import Settings
from feed.errors import InvalidArgument


def test_web_settings_default_to_localhost_same_origin_and_no_demo():
    settings = Settings.from_env({})
    assert (settings.web_addr, settings.web_origins, settings.web_demo) == ("127.0.0.1:8080", [], False)


def test_allowed_origins_are_a_comma_separated_list_and_the_demo_flag_a_boolean():
    env = {"FEED_WEB_ALLOWED_ORIGINS": " https://a.example, http://b.example:3000 ,", "FEED_WEB_DEMO": "true"}
    settings = Settings.from_env(env)
    assert settings.web_origins == ["https://a.example", "http://b.example:3000"]
    assert settings.web_demo is True
    assert Settings.from_env(settings.env()).web_demo is True  # as a child process reads it back
    assert Settings.from_env({"FEED_WEB_DEMO": "0"}).web_demo is False


def test_the_heartbeat_interval_defaults_below_common_proxy_idle_timeouts_and_is_read_back():
    assert Settings.from_env({}).web_heartbeat_s == 15.0  # nginx's and AWS ALB's idle timeouts: 60 s
    settings = Settings.from_env({"FEED_WEB_HEARTBEAT_S": "2.5"})
    assert Settings.from_env(settings.env()).web_heartbeat_s == 2.5


@pytest.mark.parametrize(
    "env",
    [
        {"FEED_WEB_DEMO": "maybe"},
        {"FEED_WEB_ADDR": "8080"},
        {"FEED_WEB_HEARTBEAT_S": "0"},
        {"FEED_WEB_HEARTBEAT_S": "-1"},
    ],
)
def test_a_bad_web_setting_is_refused_with_its_name(env):
    with pytest.raises(InvalidArgument, match=next(iter(env))):
        Settings.from_env(env)
